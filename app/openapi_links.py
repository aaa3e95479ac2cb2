"""OpenAPI links: which response value feeds which later request.

FastAPI writes none. They tell a client (and a stateful test) that the `id` a create returns
is the `article_id` of the article's own operations, and that `next` is the `cursor` of the
following page.
"""

from typing import Any

_ARTICLE_OPERATIONS = [
    ("/articles/{article_id}", method) for method in ("get", "patch", "put", "delete")
]
_BY_ID = {"article_id": "$response.body#/id"}
#: (path, method, statuses) of an operation whose responses lead on, the operations they
#: lead to, and the parameters they give them.
LINKS: list[tuple[str, str, tuple[str, ...], list[tuple[str, str]], dict[str, str]]] = [
    ("/articles", "post", ("201", "200"), _ARTICLE_OPERATIONS, _BY_ID),
    ("/articles/import", "post", ("201", "200"), _ARTICLE_OPERATIONS, _BY_ID),
    (
        "/entities/{slug}/aliases",
        "post",
        ("201", "200"),
        [("/entities/{slug}", "get"), ("/entities/{slug}/articles", "get")],
        {"slug": "$request.path.slug"},
    ),
]


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the links above added to the responses they start from."""
    paths = schema["paths"]
    for path, method, statuses, targets, parameters in LINKS:
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue
        links = {}
        for target_path, target_method in targets:
            target = paths[target_path][target_method]
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": parameters,
                "description": f"{target_method.upper()} {target_path} of what this returned.",
            }
        for status in statuses:
            if status in operation["responses"]:
                operation["responses"][status]["links"] = links
    return schema
