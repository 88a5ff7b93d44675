"""Mounted at the site root. The ActionKit page webhooks of strive/activity are mounted in config/urls.py
(`hooks/actionkit/`) by their owner, so nothing of the member sync is public."""

urlpatterns = []
