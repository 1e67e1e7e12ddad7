"""Tool arguments as pydantic models: one class gives the JSON schema the model is offered and
the validation of what it sends back.

The schema is shaped as OpenCode's (shared/reference/opencode-1.18.33-tool-schemas.json): plain
``{"type": "object", "properties", "required"}``, nested objects inlined, no titles, an optional
field shown as its type alone (not ``anyOf`` with null) and without a ``null`` default.
Optional fields still accept an explicit ``null``, as the hand-written checks did.

Arguments that do not fit become a ``ToolError`` naming each field that is wrong
(``todos[0].status: Field required``), so the model reads what to fix and calls again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Generic, TypeVar, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from ..store import is_record
from .base import ToolContext, ToolError, ToolResult

# JavaScript's Number.MAX_SAFE_INTEGER: zod's bounds on an integer, which OpenCode's schemas show.
MAX_SAFE_INTEGER = 9007199254740991


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty")
    return value


def _not_empty(value: str) -> str:
    if not value:
        raise PydanticCustomError("empty", "must not be empty")
    return value


def _positive(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise PydanticCustomError("not_positive", "must be greater than 0")
    return value


# A string that must say something (checked, but not part of the offered schema).
NonBlank = Annotated[str, AfterValidator(_not_blank)]
# A string of at least one character (blanks count: a regex may be a space).
NonEmpty = Annotated[str, AfterValidator(_not_empty)]
# A number above zero (checked, but not part of the offered schema).
Positive = Annotated[float | None, AfterValidator(_positive)]


class ToolArgs(BaseModel):
    """Base of every built-in tool's arguments. Unknown keys are dropped (as zod's objects do)."""

    model_config = ConfigDict(extra="ignore")


A = TypeVar("A", bound=ToolArgs)


class _OpencodeShape(GenerateJsonSchema):
    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])  # optional means "may be left out"

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _clean(schema: object, defs: dict[str, Any]) -> Any:
    if isinstance(schema, list):
        return [_clean(item, defs) for item in cast(list[object], schema)]
    if not is_record(schema):
        return schema
    if "$ref" in schema:  # inlined, keeping what sits beside the reference (a description)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return {**_clean(defs[schema["$ref"].rsplit("/", 1)[-1]], defs), **_clean(rest, defs)}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("title", "$defs") or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: _clean(sub, defs) for name, sub in value.items()}
        else:
            out[key] = _clean(value, defs)
    return out


def tool_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema offered to the model for ``model``'s fields, in OpenCode's shape."""
    raw = model.model_json_schema(schema_generator=_OpencodeShape)
    schema = _clean(raw, raw.get("$defs", {}))
    schema.setdefault("properties", {})
    return schema


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for item in loc:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text or "arguments"


def parse_args(tool_id: str, model: type[A], args: Mapping[str, Any]) -> A:
    """``args`` as ``model``, or a ToolError the model can act on."""
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
        raise ToolError(f"Invalid arguments for the {tool_id} tool ({problems}). "
                        "Call it again with arguments that fit its parameters.") from None


class ArgsTool(Generic[A]):
    """A built-in tool whose arguments are the ``Args`` model: ``parameters`` is generated from
    it, and ``execute`` validates the call's arguments before handing them to ``run``."""

    id: ClassVar[str]
    description: str
    # Set on each tool class (a class attribute: ``Args = ReadArgs``); ``parameters`` follows.
    Args: type[A]
    parameters: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "Args" in cls.__dict__:
            cls.parameters = tool_schema(cls.__dict__["Args"])

    async def execute(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolResult:
        return await self.run(parse_args(self.id, self.Args, args), ctx)

    async def run(self, args: A, ctx: ToolContext) -> ToolResult:
        raise NotImplementedError
