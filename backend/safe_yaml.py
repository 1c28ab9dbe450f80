"""Safe YAML loading shared by config and workflows.

``yaml.safe_load`` alone is not enough for files users hand us:

* an alias bomb ("billion laughs") composes into a small graph of shared nodes but
  explodes when anything walks it, so we measure the *expanded* size of the node
  graph before constructing anything, in time linear in the document;
* unsafe tags (``!!python/object``...) are refused by the safe constructor; we turn
  that into an error that says where and why;
* a size limit stops huge files before parsing.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import ValidationError

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_NODES = 100_000


class YamlError(ValidationError):
    """A YAML document that is malformed, unsafe or too large."""

    default_hint = "Fix the YAML (plain mappings, lists and scalars only); nothing was written."


def _line_of(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _expanded_size(root: yaml.Node, limit: int, where: str) -> int:
    """Count nodes as if every alias were copied, refusing past ``limit``.

    Memoised per node id, so a bomb of shared references costs O(distinct nodes).
    """
    sizes: dict[int, int] = {}
    # Iterative post-order walk; YAML graphs built by the composer are acyclic
    # except for recursive aliases, which we refuse.
    on_stack: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_stack.discard(key)
            total = 1
            if isinstance(node, yaml.SequenceNode):
                total += sum(sizes[id(child)] for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                total += sum(sizes[id(k)] + sizes[id(v)] for k, v in node.value)
            if total > limit:
                raise YamlError(
                    f"document expands to more than {limit:,} nodes (alias bomb?)",
                    where=where,
                    line=_line_of(node.start_mark),
                    hint="Remove the repeated aliases; storeroom refuses documents this large.",
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_stack:
            raise YamlError("recursive alias", where=where, line=_line_of(node.start_mark))
        on_stack.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, False) for child in node.value if id(child) not in sizes)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if id(k) not in sizes:
                    stack.append((k, False))
                if id(v) not in sizes:
                    stack.append((v, False))
    return sizes[id(root)]


def load_yaml(
    data: bytes | str,
    *,
    where: str = "<yaml>",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Any:
    """Parse one YAML document safely; raise :class:`YamlError` naming ``where``.

    Accepts bytes (must be UTF-8) or text. An empty document gives ``None``.
    """
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > max_bytes:
        raise YamlError(
            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit",
            where=where,
            hint="Split or shorten the file; nothing was read.",
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlError(
                f"not valid UTF-8 (bad byte at offset {exc.start})",
                where=where,
                hint="Save the file as UTF-8.",
            ) from None
    else:
        text = data
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, max_nodes, where)
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        line = _line_of(exc.problem_mark)
        raise YamlError(
            f"unsafe or unknown tag at line {line}: {exc.problem}",
            where=where,
            line=line,
            hint="Remove the tag; only plain YAML (no !!python/... tags) is accepted.",
        ) from None
    except yaml.MarkedYAMLError as exc:
        line = _line_of(exc.problem_mark)
        raise YamlError(
            f"YAML syntax error at line {line}: {exc.problem or exc.context}",
            where=where,
            line=line,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}", where=where) from None
    except RecursionError:
        raise YamlError("document nests too deeply", where=where) from None
    finally:
        loader.dispose()


def dump_yaml(data: Any) -> str:
    """Dump plain data as block-style YAML with stable key order and unicode kept."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
