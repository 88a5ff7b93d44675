from rest_framework import serializers

from strive.models import Group, Member
from strive.phones import phone_to_e164


class TextKeysDictField(serializers.DictField):
    """A DictField whose names are checked as its values are: no NUL byte (PostgreSQL's jsonb refuses one) and no
    lone surrogate (no database can encode one); either was a 500. Names go first, so a value's error is never
    filed under a name the JSON response could not encode."""

    name_field = serializers.CharField(allow_blank=True, trim_whitespace=False)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            for name in data:
                try:
                    self.name_field.run_validation(str(name))
                except serializers.ValidationError as exc:
                    raise serializers.ValidationError([f"Field name: {message}" for message in exc.detail]) from exc
        return super().to_internal_value(data)


class MemberSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(max_length=40, help_text="Any US or international format; stored as E.164.")
    custom_fields = TextKeysDictField(child=serializers.CharField(allow_blank=True, max_length=1000), required=False)
    groups = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = ["id", "phone", "email", "first_name", "last_name", "city", "state", "zip", "sms_opt_in",
                  "custom_fields", "source", "groups", "ak_sync_error", "created_at", "updated_at"]
        read_only_fields = ["id", "groups", "ak_sync_error", "created_at", "updated_at"]

    def validate_phone(self, value: str) -> str:
        phone = phone_to_e164(value)
        if not phone:
            raise serializers.ValidationError(f"'{value}' is not a phone number we recognize.")
        return phone

    def get_groups(self, member: Member) -> list[int]:
        return [m.group_id for m in member.group_memberships.all()]


class MemberUpdateSerializer(MemberSerializer):
    class Meta(MemberSerializer.Meta):
        read_only_fields = [*MemberSerializer.Meta.read_only_fields, "phone"]


class GroupSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Group
        fields = ["id", "name", "kind", "member_count", "created_at"]
        read_only_fields = ["id", "kind", "member_count", "created_at"]


class GroupMemberSerializer(serializers.Serializer):
    member_id = serializers.IntegerField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)
