import uuid

from django.conf import settings
from django.http import JsonResponse
from django.utils.log import log_response

from config.logging import correlation_id


class CorrelationIdMiddleware:
    """Tags every log line of a request with one id, taken from X-Request-ID when a proxy sets a sane one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        value = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
        token = correlation_id.set(value)
        try:
            response = self.get_response(request)
            if response.status_code >= 400:
                # Django logs 4xx/5xx after the middleware chain returns, when the id is already gone; log it here
                # (log_response marks the response, so Django does not log it twice).
                log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        finally:
            correlation_id.reset(token)
        response["X-Request-ID"] = value
        return response


class ContentSecurityPolicyMiddleware:
    """A strict policy: no inline script or style anywhere, so templates load /static files only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class ApiJsonErrorsMiddleware:
    """API clients always get JSON with a `detail`: Django's own 404 (a path the URL patterns do not match, such as
    /api/v1/members/-1/) and 500 pages are HTML, which a client cannot read a reason from."""

    PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith(self.PREFIX) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            detail = "No such API endpoint or object." if response.status_code == 404 else response.reason_phrase
            replacement = JsonResponse({"detail": detail}, status=response.status_code)
            for header in ("Allow", "WWW-Authenticate", "Retry-After", "X-Request-ID"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response
