"""`{% load strive_activity %}{% activity_webhook_card connection %}`: the webhook URL card for the Settings pane."""

from django import template

from strive.activity.services.webhooks import webhook_path

register = template.Library()


@register.inclusion_tag("strive/activity/_webhook_card.html", takes_context=True)
def activity_webhook_card(context, connection):
    request = context.get("request")
    path = webhook_path(connection=connection)
    return {"entity": connection.entity, "webhook_url": request.build_absolute_uri(path) if request else path,
            "csrf_token": context.get("csrf_token")}
