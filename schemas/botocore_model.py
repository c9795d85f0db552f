"""marshmallow schemas generated from the botocore service models, one per AWS shape.

The botocore models installed with boto3 are the final word on shapes, so rather than retyping
every length, pattern, enum and range, each input shape's schema is built from the model itself.
boto3 only checks required members, types and minimums on the client; everything else (maximums,
patterns, enums) is enforced here, and every failure is reported the way AWS words it:
``Value 'x' at 'humanLoopName' failed to satisfy constraint: Member must ...``.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone

import botocore.session
import regex
from marshmallow import EXCLUDE, RAISE, Schema, fields
from marshmallow import ValidationError as MarshmallowError
from marshmallow.validate import Validator

from hitl_service.domain.strictjson import StrictJSONError, check_text
from hitl_service.errors import ValidationError

_session = botocore.session.get_session()


@functools.lru_cache(maxsize=None)
def service_model(service: str):
    """The botocore service model (loaded once per process)."""
    return _session.get_service_model(service)

RUNTIME = "sagemaker-a2i-runtime"
CONTROL = "sagemaker"


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


class _Constraint(Validator):
    """One model constraint; raises with AWS's 'Member must ...' wording."""

    def __init__(self, kind: str, value):
        self.kind = kind
        self.value = value
        if kind == "pattern":
            # AWS (Java) patterns must match the whole value; the `regex` module understands \p{L}.
            self._compiled = regex.compile(value)

    def __call__(self, data):
        kind, value = self.kind, self.value
        if kind == "pattern":
            if not self._compiled.fullmatch(data):
                raise MarshmallowError(f"Member must satisfy regular expression pattern: {value}")
        elif kind == "enum":
            if data not in value:
                raise MarshmallowError(f"Member must satisfy enum value set: [{', '.join(value)}]")
        elif kind in ("min_len", "max_len"):
            size = len(data)
            if kind == "min_len" and size < value:
                raise MarshmallowError(f"Member must have length greater than or equal to {value}")
            if kind == "max_len" and size > value:
                raise MarshmallowError(f"Member must have length less than or equal to {value}")
        elif kind == "min_val" and data < value:
            raise MarshmallowError(f"Member must have value greater than or equal to {value}")
        elif kind == "max_val" and data > value:
            raise MarshmallowError(f"Member must have value less than or equal to {value}")
        return data


class StrictString(fields.String):
    default_error_messages = {"invalid": "Member must be a string",
                              "surrogate": "Member must be valid Unicode (it holds an unpaired UTF-16 surrogate)"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            check_text(text)
        except StrictJSONError:
            raise self.make_error("surrogate") from None
        return text


class StrictInteger(fields.Integer):
    default_error_messages = {"invalid": "Member must be an integer"}

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class StrictBoolean(fields.Boolean):
    default_error_messages = {"invalid": "Member must be a boolean"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictFloat(fields.Float):
    default_error_messages = {"invalid": "Member must be a number"}

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return float(value)


class Timestamp(fields.Field):
    """Epoch seconds (json protocol) or ISO-8601 (rest-json query strings); loads an aware datetime."""

    default_error_messages = {"invalid": "Member must be a timestamp (epoch seconds or ISO-8601)"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, tz=timezone.utc)
            except (OverflowError, OSError, ValueError):
                raise self.make_error("invalid") from None
        if isinstance(value, str):
            text = value.strip()
            try:
                return datetime.fromtimestamp(float(text), tz=timezone.utc)
            except (OverflowError, OSError):
                raise self.make_error("invalid") from None  # 1e400, or a year past 9999
            except ValueError:
                pass
            try:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise self.make_error("invalid") from None
            return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
        raise self.make_error("invalid")


class StrictNested(fields.Nested):
    default_error_messages = {"type": "Member must be a structure (JSON object)"}


class StrictList(fields.List):
    default_error_messages = {"invalid": "Member must be a list"}


# Where the service knowingly departs from a model pattern, because AWS itself accepts more than its
# model says (docs/api.md, "Accepted names"). Keyed by (service, shape name).
PATTERN_OVERRIDES = {
    # AWS's own A2I notebooks start and complete loops such as ``Fraud-detector-1613668909838``:
    # capitals are accepted (and kept as sent); the rest of the model's rule (letters or digits
    # joined by hyphens, 1-63 characters) stands.
    (RUNTIME, "HumanLoopName"): "^[a-zA-Z0-9](-*[a-zA-Z0-9])*$",
}


def _string_validators(shape, service: str = "") -> list:
    meta = dict(shape.metadata)
    if (service, shape.name) in PATTERN_OVERRIDES:
        meta["pattern"] = PATTERN_OVERRIDES[(service, shape.name)]
    out = []
    if "min" in meta and meta["min"] > 0:
        out.append(_Constraint("min_len", meta["min"]))
    if "max" in meta:
        out.append(_Constraint("max_len", meta["max"]))
    if shape.enum:
        out.append(_Constraint("enum", list(shape.enum)))
    if "pattern" in meta:
        out.append(_Constraint("pattern", meta["pattern"]))
    return out


def _field_for(shape, required: bool, service: str) -> fields.Field:
    meta = shape.metadata
    kw = {"required": required}
    kind = shape.type_name
    if kind == "string":
        return StrictString(validate=_string_validators(shape, service), **kw)
    if kind in ("integer", "long"):
        v = []
        if "min" in meta:
            v.append(_Constraint("min_val", meta["min"]))
        if "max" in meta:
            v.append(_Constraint("max_val", meta["max"]))
        return StrictInteger(validate=v, **kw)
    if kind in ("float", "double"):
        return StrictFloat(**kw)
    if kind == "boolean":
        return StrictBoolean(**kw)
    if kind == "timestamp":
        return Timestamp(**kw)
    if kind == "structure":
        return StrictNested(schema_for(service, shape.name), **kw)
    if kind == "list":
        v = []
        if "min" in meta and meta["min"] > 0:
            v.append(_Constraint("min_len", meta["min"]))
        if "max" in meta:
            v.append(_Constraint("max_len", meta["max"]))
        return StrictList(_field_for(shape.member, False, service), validate=v, **kw)
    if kind == "map":
        return fields.Dict(keys=_field_for(shape.key, False, service), values=_field_for(shape.value, False, service), **kw)
    return fields.Raw(**kw)


@functools.lru_cache(maxsize=None)
def schema_for(service: str, shape_name: str) -> Schema:
    """The marshmallow schema instance for one botocore structure shape."""
    shape = service_model(service).shape_for(shape_name)
    members = {
        name: _field_for(member, name in shape.required_members, service)
        for name, member in shape.members.items()
    }

    class Meta:
        unknown = RAISE

    schema_cls = Schema.from_dict(members, name=f"{shape_name}Schema")
    schema_cls.Meta = Meta
    # members the model marks as required come through from_dict; an unknown key is refused
    # rather than silently ignored, since it is almost always a typo in a hand-written request.
    instance = schema_cls(unknown=RAISE)
    return instance


@functools.lru_cache(maxsize=None)
def input_shape_name(service: str, operation: str) -> str:
    return service_model(service).operation_model(operation).input_shape.name


def _flatten(messages, data, path: list[str], out: list[str]) -> None:
    if isinstance(messages, dict):
        for key, sub in messages.items():
            if isinstance(key, int):
                item = data[key] if isinstance(data, list) and key < len(data) else None
                _flatten(sub, item, path + [str(key + 1), "member"], out)
            elif key == "_schema":
                _flatten([m if m != "Invalid input type." else "Member must be a structure (JSON object)" for m in sub],
                         data, path, out)
            elif sub == ["Unknown field."]:
                out.append(f"Unknown field '{'.'.join(path + [str(key)])}' is not part of this operation's input")
            else:
                item = data.get(key) if isinstance(data, dict) else None
                _flatten(sub, item, path + [_lower_camel(str(key))], out)
        return
    for msg in messages:
        where = ".".join(path) or "input"
        if msg == "Missing data for required field.":
            out.append(f"Value null at '{where}' failed to satisfy constraint: Member must not be null")
        else:
            # clip long values (a 51-item Tags list, a 128 KB template) so the field name survives
            # the 1024-character message limit
            shown = "null" if data is None else _clip(repr(data)) if not isinstance(data, str) else f"'{_clip(data)}'"
            out.append(f"Value {shown} at '{where}' failed to satisfy constraint: {msg}")


def _clip(text: str) -> str:
    return text if len(text) <= 100 else text[:100] + "..."


# ---- fast acceptance ------------------------------------------------------------------------------
# marshmallow was the largest single cost of StartHumanLoop after SigV4 (issue 17). A valid input is
# what nearly every request carries, so each structure also gets a plain-Python predicate, compiled
# from the same model constraints, that answers only "valid as is": when it says yes the input is
# returned unchanged (for these shapes the schema's load returns an equal dict); on anything else
# the marshmallow schema runs and words the error exactly as before. Shapes whose load converts
# values (timestamps, floats, maps, blobs) get no predicate. tests/api/test_fast_validation.py checks
# the equivalence on arbitrary inputs.


def _no_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fast_for(shape, service: str):
    """A predicate true only for values the schema field accepts and loads unchanged; None when the
    field's load may change the value."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        lo = meta.get("min", 0)
        hi = meta.get("max")
        enum = frozenset(shape.enum) if shape.enum else None
        pattern = PATTERN_OVERRIDES.get((service, shape.name), meta.get("pattern"))
        match = regex.compile(pattern).fullmatch if pattern is not None else None

        def check_string(v) -> bool:
            if type(v) is not str:
                return False
            n = len(v)
            if n < lo or (hi is not None and n > hi):
                return False
            if enum is not None and v not in enum:
                return False
            if match is not None and not match(v):
                return False
            return _no_lone_surrogate(v)
        return check_string
    if kind in ("integer", "long"):
        lo, hi = meta.get("min"), meta.get("max")

        def check_int(v) -> bool:
            return type(v) is int and (lo is None or v >= lo) and (hi is None or v <= hi)
        return check_int
    if kind == "boolean":
        return lambda v: type(v) is bool
    if kind == "structure":
        return _fast_structure(service, shape.name)
    if kind == "list":
        member = _fast_for(shape.member, service)
        if member is None:
            return None
        lo, hi = meta.get("min", 0), meta.get("max")

        def check_list(v) -> bool:
            if type(v) is not list or len(v) < lo or (hi is not None and len(v) > hi):
                return False
            return all(member(x) for x in v)
        return check_list
    return None


@functools.lru_cache(maxsize=None)
def _fast_structure(service: str, shape_name: str):
    shape = service_model(service).shape_for(shape_name)
    members = {}
    for name, member in shape.members.items():
        check = _fast_for(member, service)
        if check is None:
            return None
        members[name] = check
    required = frozenset(shape.required_members)

    def check_structure(v) -> bool:
        if type(v) is not dict:
            return False
        for key, value in v.items():
            check = members.get(key)
            if check is None or not check(value):
                return False
        return required.issubset(v.keys())
    return check_structure


def load_input(service: str, operation: str, data) -> dict:
    """Validate an operation's input against the model; raise ValidationError worded like AWS."""
    if not isinstance(data, dict):
        raise ValidationError("Request body must be a JSON object")
    shape_name = input_shape_name(service, operation)
    fast = _fast_structure(service, shape_name)
    if fast is not None and fast(data):
        return data
    return _load_with_schema(service, shape_name, data)


def _load_with_schema(service: str, shape_name: str, data: dict) -> dict:
    schema = schema_for(service, shape_name)
    try:
        return schema.load(data)
    except MarshmallowError as exc:
        problems: list[str] = []
        _flatten(exc.messages, data, [], problems)
        n = len(problems)
        noun = "error" if n == 1 else "errors"
        raise ValidationError(f"{n} validation {noun} detected: " + "; ".join(problems)) from None


__all__ = ["load_input", "schema_for", "RUNTIME", "CONTROL", "EXCLUDE"]
