"""Validation of ActBlue's webhook JSON: donor, contribution, line items, form, and the refund and cancellation
stamps. Every limit matches a column, so a body that
passes can always be saved and one that does not gets a 400 naming the field (never a database error)."""

from zoneinfo import ZoneInfo

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

EASTERN = ZoneInfo("America/New_York")  # ActBlue reports in Eastern; a time without an offset means Eastern.
BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
MAX_LINE_ITEMS = 50  # ActBlue sends one per notification; a few recipients per gift is the most seen in practice.


def text(max_length: int, **kw):
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, allow_null=True, **kw)


def when(**kw):
    return serializers.DateTimeField(default_timezone=EASTERN, **kw)


def flag():
    return serializers.BooleanField(required=False, default=False)


class EmployerSerializer(serializers.Serializer):
    employer = text(200)
    occupation = text(200)
    employerAddr1 = text(200)  # noqa: N815 - ActBlue's field names, kept as sent.
    employerCity = text(100)  # noqa: N815
    employerState = text(100)  # noqa: N815
    employerCountry = text(100)  # noqa: N815
    employerZip = text(20)  # noqa: N815


class DonorSerializer(serializers.Serializer):
    firstname = text(100)
    lastname = text(100)
    addr1 = text(200)
    city = text(100)
    state = text(100)
    zip = text(20)
    country = text(100)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, allow_null=True)
    phone = text(40)
    isEligibleForExpressLane = flag()  # noqa: N815
    employerData = EmployerSerializer(required=False, allow_null=True)  # noqa: N815


class CustomFieldSerializer(serializers.Serializer):
    label = text(500)
    answer = text(2000)


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0, "maximum": 10000},
                                {"type": "string", "enum": ["infinite"]}]})
class RecurringDurationField(serializers.Field):
    """A number of charges, or "infinite"."""

    default_error_messages = {"invalid": 'Expected a whole number from 0 to 10000 or "infinite".'}

    def to_internal_value(self, data):
        if data == "infinite":
            return data
        # isdigit() alone accepts "²" and other non-ASCII digits, which int() then refuses with a ValueError.
        text = str(data)
        if isinstance(data, bool) or not isinstance(data, int | str) or not (text.isascii() and text.isdigit()) \
                or int(text) > 10000:
            self.fail("invalid")
        return str(int(data))

    def to_representation(self, value):
        return value


class ContributionSerializer(serializers.Serializer):
    createdAt = when()  # noqa: N815
    orderNumber = serializers.CharField(max_length=64)  # noqa: N815
    contributionForm = text(200)  # noqa: N815
    refcodes = serializers.DictField(child=text(200), required=False, allow_null=True, allow_empty=True)
    refcode = text(200)
    refcode2 = text(200)
    recurringPeriod = text(20)  # noqa: N815
    recurringDuration = RecurringDurationField(required=False, allow_null=True)  # noqa: N815
    isRecurring, isPaypal, isMobile, isExpress = flag(), flag(), flag(), flag()  # noqa: N815
    withExpressLane, expressSignup = flag(), flag()  # noqa: N815
    uniqueIdentifier = text(64)  # noqa: N815
    status = text(20)
    textMessageOption = text(20)  # noqa: N815
    customFields = CustomFieldSerializer(many=True, required=False, allow_null=True)  # noqa: N815
    refundedAt = when(required=False, allow_null=True)  # noqa: N815
    cancelledAt = when(required=False, allow_null=True)  # noqa: N815
    recurCompleted = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False, allow_null=True)  # noqa: N815
    recurPledged = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False, allow_null=True)  # noqa: N815


class LineItemSerializer(serializers.Serializer):
    lineitemId = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)  # noqa: N815
    sequence = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False, default=0)
    entityId = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)  # noqa: N815
    fecId = text(20)  # noqa: N815
    committeeName = text(200)  # noqa: N815
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    paidAt = when()  # noqa: N815
    paymentId = serializers.IntegerField(min_value=0, max_value=BIGINT_MAX, required=False, allow_null=True)  # noqa: N815
    refundedAt = when(required=False, allow_null=True)  # noqa: N815
    disbursedAt = when(required=False, allow_null=True)  # noqa: N815
    recoveredAt = when(required=False, allow_null=True)  # noqa: N815


class FormSerializer(serializers.Serializer):
    name = text(200)
    kind = text(40)
    ownerEmail = text(254)  # noqa: N815
    managingEntityName = text(200)  # noqa: N815
    managingEntityCommitteeName = text(200)  # noqa: N815


class NotificationSerializer(serializers.Serializer):
    """One ActBlue notification: contribution, refund or cancellation (the body decides, as ActionKit does)."""

    donor = DonorSerializer()
    contribution = ContributionSerializer()
    lineitems = LineItemSerializer(many=True, allow_empty=False, max_length=MAX_LINE_ITEMS)
    form = FormSerializer(required=False, allow_null=True)

    def validate_lineitems(self, items):
        ids = [item["lineitemId"] for item in items]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Each lineitemId may appear only once.")
        return items


class ContributionNotificationSerializer(NotificationSerializer):
    pass


class RefundNotificationSerializer(NotificationSerializer):
    def validate(self, data):
        top = data["contribution"].get("refundedAt")
        missing = [i["lineitemId"] for i in data["lineitems"] if not (i.get("refundedAt") or top)]
        if missing:
            raise serializers.ValidationError({"lineitems": [f"Line item {m} has no refundedAt (and neither has the "
                                                             "contribution)." for m in missing]})
        return data


class CancellationNotificationSerializer(NotificationSerializer):
    def validate(self, data):
        if not data["contribution"].get("cancelledAt"):
            raise serializers.ValidationError({"contribution": {"cancelledAt": ["A cancellation needs cancelledAt."]}})
        return data


class ActBlueRecordResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["contribution", "refund", "cancellation"])
    order_number = serializers.CharField()
    created = serializers.IntegerField(help_text="New records: line items, refunds or cancellations.")
    duplicate = serializers.BooleanField(help_text="True when everything in the body was already recorded.")


class ActBlueErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)
