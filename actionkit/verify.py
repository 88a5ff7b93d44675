"""Check an ActionKit hostname and staff login before a connection is saved; one set of sentences for every connect form."""

from actionkit import errors
from actionkit.factory import client_for_credentials
from actionkit.hostnames import check_hostname
from actionkit.services import compat_run


class ConnectError(Exception):
    """Why a connect attempt failed, worded for the person filling in the form. `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        self.message, self.field = message, field
        super().__init__(message)


def credentials_verify(*, host: str, username: str, password: str) -> str:
    """Check the hostname (SSRF rules) and the staff login; return the normalised host. Raises ConnectError.

    ``http://Act.Example.org/admin/`` comes back as ``act.example.org``, so every integration stores the same host.
    """
    try:
        authority = check_hostname(host)
    except errors.UnsafeHostError as exc:
        raise ConnectError(f"{exc.message} Enter your instance's public hostname, e.g. yourorg.actionkit.com.",
                           field="host") from exc
    try:
        client = client_for_credentials(host=authority, username=username, password=password)
    except errors.UnsafeHostError as exc:
        raise ConnectError(exc.message, field="host") from exc
    try:
        client.verify_credentials()
    except errors.ActionKitUnauthorized as exc:
        raise ConnectError("ActionKit rejected that username or password. Check the staff account's login.") from exc
    except errors.ActionKitTransient as exc:
        raise ConnectError(f"Could not reach ActionKit at {authority}: {exc.message} Check the hostname, or try "
                           "again in a few minutes.", field="host") from exc
    except errors.ActionKitRedirect as exc:
        raise ConnectError(f"{authority} answered with a redirect, so it is not the ActionKit API. Check the hostname.",
                           field="host") from exc
    except errors.ActionKitError as exc:
        raise ConnectError(f"ActionKit at {authority} did not accept the check: {exc.message}", field="host") from exc
    finally:
        client.close()
    return authority



def connection_check(*, kind: str, host: str, username: str, password: str, config: dict) -> tuple[str, dict]:
    """The credential check, then the compatibility check on the same login: (normalised host, the check's answer
    to store in config["ak_compat"]). Only the credentials can refuse a connect; failed probes are shown after."""
    authority = credentials_verify(host=host, username=username, password=password)
    client = client_for_credentials(host=authority, username=username, password=password)
    try:
        return authority, compat_run(client=client, kind=kind, config=config)
    finally:
        client.close()
