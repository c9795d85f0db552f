"""One exception hierarchy for the service.

Every error knows the AWS error code and HTTP status it is rendered with. The two API protocols
disagree on a few codes (a missing resource is ``ResourceNotFoundException``/404 on the rest-json
runtime API but ``ResourceNotFound``/400 on the json control plane), so an error may carry a
per-protocol override in ``protocol_codes``.
"""

from __future__ import annotations

REST_JSON = "rest-json"
JSON = "json"


class HitlError(Exception):
    """Base of every error the service reports to a caller."""

    code = "InternalServerException"
    status = 500
    # protocol name -> (code, status) where a protocol spells the error differently
    protocol_codes: dict[str, tuple[str, int]] = {}

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message[:1024]

    def code_for(self, protocol: str) -> tuple[str, int]:
        """The (code, HTTP status) this error is rendered with in ``protocol``."""
        return self.protocol_codes.get(protocol, (self.code, self.status))


class ValidationError(HitlError):
    code = "ValidationException"
    status = 400


class SerializationError(HitlError):
    code = "SerializationException"
    status = 400


class NotFoundError(HitlError):
    code = "ResourceNotFoundException"
    status = 404
    protocol_codes = {JSON: ("ResourceNotFound", 400)}


class ResourceInUseError(HitlError):
    code = "ResourceInUse"
    status = 400


class ResourceLimitExceededError(HitlError):
    code = "ResourceLimitExceeded"
    status = 400


class ConflictError(HitlError):
    code = "ConflictException"
    status = 409


class ThrottlingError(HitlError):
    code = "ThrottlingException"
    status = 429


class ServiceQuotaExceededError(HitlError):
    code = "ServiceQuotaExceededException"
    status = 402


class InternalServerError(HitlError):
    code = "InternalServerException"
    status = 500


class UnsupportedMediaTypeError(HitlError):
    code = "UnsupportedMediaTypeException"
    status = 415


class ServiceUnavailableError(HitlError):
    """The service's state store cannot be reached right now; the caller should retry (boto3 does)."""

    code = "ServiceUnavailable"
    status = 503


class UnknownOperationError(HitlError):
    code = "UnknownOperationException"
    status = 400


class AuthError(HitlError):
    """A request that is not signed, or not signed correctly, by a configured key."""

    status = 403


class MissingAuthenticationTokenError(AuthError):
    code = "MissingAuthenticationTokenException"


class IncompleteSignatureError(AuthError):
    code = "IncompleteSignatureException"


class UnrecognizedClientError(AuthError):
    code = "UnrecognizedClientException"


class InvalidSignatureError(AuthError):
    code = "InvalidSignatureException"


# --- reviewer-facing errors (the /review JSON API; not AWS shapes, same rendering) ---


class ReviewerAuthError(HitlError):
    code = "NotAuthenticated"
    status = 401


class ForbiddenError(HitlError):
    code = "Forbidden"
    status = 403


class LeaseError(HitlError):
    """The assignment is not (or no longer) leased to this reviewer."""

    code = "LeaseNotHeld"
    status = 409


class TooManyAttemptsError(HitlError):
    """Too many failed sign-ins for this account or from this address; retry after a while."""

    code = "TooManyRequestsException"
    status = 429

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class UnsupportedLoginRequestError(HitlError):
    code = "UnsupportedMediaTypeException"
    status = 415


class NoAssignmentError(HitlError):
    code = "NoAssignmentAvailable"
    status = 404
