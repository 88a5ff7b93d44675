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


# The serializer that validates each kind's body; None is the endpoint that decides the kind from the body.
SERIALIZERS = {None: s.NotificationSerializer, "contribution": s.ContributionNotificationSerializer,
               "refund": s.RefundNotificationSerializer, "cancellation": s.CancellationNotificationSerializer}


def notification_respond(*, entity, body, kind: str | None = None) -> Response:
    """Validate and record one notification for `entity`: 201 new, 200 already recorded, 400 bad body, 409 conflict.

    `kind` None decides from the body, as ActionKit's single endpoint does. Shared by the API and ActBlue's webhook.
    """
    serializer = SERIALIZERS[kind](data=body)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    decided = kind or notification_kind(data)
    if kind is None and decided != "contribution":
        # Re-validate with the kind's own rules (a refund needs refundedAt, a cancellation cancelledAt).
        SERIALIZERS[decided](data=body).is_valid(raise_exception=True)
    try:
        result = RECORDERS[decided](entity=entity, data=data)
    except LedgerConflict as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    answer = {"kind": decided, "order_number": result.contribution.order_number, "created": len(result.created),
              "duplicate": not result.created}
    return Response(answer, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


# The base of the classes notification_view builds. No docstring: drf-spectacular would publish it as every
# endpoint's description.
class _NotificationView(APIView):
    kind: str | None = None  # None: decide from the body, as ActionKit's single endpoint does.

    def post(self, request):
        return notification_respond(entity=request.user.entity, body=request.data, kind=self.kind)


def notification_view(kind: str | None, *, endpoint: str, summary: str) -> type[APIView]:
    """The POST view for one kind, documented as operation `actblue_<endpoint>_create` with that kind's serializer.

    Each endpoint needs a class of its own: drf-spectacular reads the schema from the view class.
    """
    name = f"{(kind or 'notification').capitalize()}View"
    view = type(name, (_NotificationView,), {"serializer_class": SERIALIZERS[kind], "kind": kind})
    schema = extend_schema(operation_id=f"actblue_{endpoint}_create", summary=summary, request=SERIALIZERS[kind],
                           responses=RESPONSES, tags=["ActBlue"],
                           examples=[OpenApiExample("ActBlue notification", value=SAMPLE, request_only=True)])
    return extend_schema_view(post=schema)(view)


ContributionView = notification_view("contribution", endpoint="contributions",
                                     summary="Record a contribution notification")
RefundView = notification_view("refund", endpoint="refunds",
                               summary="Record a refund (refundedAt on a line item or contribution)")
CancellationView = notification_view("cancellation", endpoint="cancellations",
                                     summary="Record a recurring cancellation (cancelledAt)")
NotificationView = notification_view(None, endpoint="notifications",
                                     summary="Record any notification; the body decides its kind")
