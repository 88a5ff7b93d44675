"""DRF endpoints that accept ActBlue's webhook JSON for the entity behind the API key.

Idempotent (lineitemId, orderNumber + cancelledAt, within the key's entity); a body that fails validation gets a 400
naming each field and nothing is saved; a body that contradicts the entity's own ledger gets a 409.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from actblue import serializers as s
from actblue.services.ledger import RECORDERS, LedgerConflict
from actionkit.actblue_notifications import notification_kind

SAMPLE = {"donor": {"firstname": "Mary", "lastname": "Smith", "email": "mary@example.com", "zip": "94801"},
          "contribution": {"createdAt": "2023-06-07T15:49:32-04:00", "orderNumber": "AB123456789",
                           "contributionForm": "spring-appeal", "recurringPeriod": "once", "recurringDuration": 1},
          "lineitems": [{"sequence": 0, "entityId": 12345, "committeeName": "Example PAC", "amount": "25.0",
                         "paidAt": "2023-06-07T15:49:33-04:00", "lineitemId": 123456789}],
          "form": {"name": "spring-appeal", "kind": "page"}}

RESPONSES = {
    201: OpenApiResponse(s.ActBlueRecordResultSerializer, description="Recorded; deliveries to ActionKit are queued."),
    200: OpenApiResponse(s.ActBlueRecordResultSerializer, description="Already recorded; nothing changed."),
    400: OpenApiResponse(s.ActBlueErrorSerializer, description="Malformed body; `errors` names each field. Nothing saved."),
    401: OpenApiResponse(s.ActBlueErrorSerializer, description="Missing, invalid or revoked API key."),
    409: OpenApiResponse(s.ActBlueErrorSerializer, description="The body contradicts your ledger: a line item already "
                                                               "recorded on another order or with another amount."),
}


def notification_respond(*, entity, body, kind: str | None = None) -> Response:
    """Validate and record one notification for `entity`: 201 new, 200 already recorded, 400 bad body, 409 conflict.

    `kind` None decides from the body, as ActionKit's single endpoint does. Shared by the API and ActBlue's webhook.
    """
    serializer_class = {None: s.NotificationSerializer, "contribution": s.ContributionNotificationSerializer,
                        "refund": s.RefundNotificationSerializer,
                        "cancellation": s.CancellationNotificationSerializer}[kind]
    serializer = serializer_class(data=body)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    decided = kind or notification_kind(data)
    if kind is None and decided != "contribution":
        # Re-validate with the kind's own rules (a refund needs refundedAt, a cancellation cancelledAt).
        strict = {"refund": s.RefundNotificationSerializer, "cancellation": s.CancellationNotificationSerializer}
        strict[decided](data=body).is_valid(raise_exception=True)
    try:
        result = RECORDERS[decided](entity=entity, data=data)
    except LedgerConflict as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    answer = {"kind": decided, "order_number": result.contribution.order_number, "created": len(result.created),
              "duplicate": not result.created}
    return Response(answer, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class _NotificationView(APIView):
    serializer_class = s.NotificationSerializer
    kind: str | None = None  # None: decide from the body, as ActionKit's single endpoint does.

    def post(self, request):
        return notification_respond(entity=request.user.entity, body=request.data, kind=self.kind)


def _schema(kind: str, serializer, summary: str):
    return extend_schema(operation_id=f"actblue_{kind}_create", summary=summary, request=serializer,
                         responses=RESPONSES, tags=["ActBlue"],
                         examples=[OpenApiExample("ActBlue notification", value=SAMPLE, request_only=True)])


@extend_schema_view(post=_schema("contributions", s.ContributionNotificationSerializer,
                                 "Record a contribution notification"))
class ContributionView(_NotificationView):
    serializer_class, kind = s.ContributionNotificationSerializer, "contribution"


@extend_schema_view(post=_schema("refunds", s.RefundNotificationSerializer,
                                 "Record a refund (refundedAt on a line item or contribution)"))
class RefundView(_NotificationView):
    serializer_class, kind = s.RefundNotificationSerializer, "refund"


@extend_schema_view(post=_schema("cancellations", s.CancellationNotificationSerializer,
                                 "Record a recurring cancellation (cancelledAt)"))
class CancellationView(_NotificationView):
    serializer_class, kind = s.CancellationNotificationSerializer, "cancellation"


@extend_schema_view(post=_schema("notifications", s.NotificationSerializer,
                                 "Record any notification; the body decides its kind"))
class NotificationView(_NotificationView):
    pass
