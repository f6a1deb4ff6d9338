"""Templates from untrusted scenario files render in a sandbox; analysis finds the names used."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from peac.spec.templates import analyse
from peac.spec.templating import (
    MAX_RENDER_SECONDS,
    TemplateLimit,
    make_environment,
    render_text,
    template_strings,
)


@pytest.mark.parametrize(
    "template",
    ["{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ random_string.__globals__ }}"],
)
def test_sandbox_blocks_python_internals(template: str) -> None:
    with pytest.raises(SecurityError):
        make_environment().from_string(template).render()


def test_undefined_names_are_errors_not_empty_strings() -> None:
    with pytest.raises(UndefinedError):
        make_environment().from_string("/users/{{ user_id }}").render()


def test_helpers_render() -> None:
    env = make_environment()
    assert len(env.from_string("{{ uuid() }}").render()) == 36
    assert env.from_string("{{ random_int(3, 3) }}").render() == "3"
    assert env.from_string("{{ random_choice(['a']) }}").render() == "a"
    assert len(env.from_string("{{ random_string(5) }}").render()) == 5


def test_analyse_names_and_attributes() -> None:
    use = analyse(
        "{{ secrets.token }}/{{ users['email'] }}/{{ x | upper }}"
        "{% for y in range(3) %}{{ y }}{% endfor %}"
    )
    assert use.names == {"secrets", "users", "x", "range"}
    assert use.attributes == {"secrets": {"token"}, "users": {"email"}}
    assert analyse("{{ a").error.startswith("template syntax error:")


def test_template_strings_walks_json_bodies() -> None:
    body = {"a": "{{ x }}", "b": [1, "plain", {"c": "{% if y %}1{% endif %}"}]}
    assert template_strings(body) == [
        (("a",), "{{ x }}"),
        (("b", 2, "c"), "{% if y %}1{% endif %}"),
    ]


@pytest.mark.parametrize(
    ("template", "refused"),
    [
        ("{% set x = 1 %}{{ x }}", "{% set %} is not available"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "{% macro %} is not available"),
        ('{% include "/etc/passwd" %}', "{% include %} is not available"),
        ('{% extends "x" %}', "{% extends %} is not available"),
        ('{% import "x" as y %}', "{% import %} is not available"),
        ('{% from "x" import y %}', "{% from ... import %} is not available"),
        ("{% filter upper %}x{% endfilter %}", "{% filter %} is not available"),
        ("{% with a = 1 %}{{ a }}{% endwith %}", "{% with %} is not available"),
        ("{{ x | center(1000000000) }}", 'the filter "center" is not available'),
        ("{{ x | format(1) }}", 'the filter "format" is not available'),
        ("{{ x | wordwrap(5) }}", 'the filter "wordwrap" is not available'),
        ("{{" + "(" * 490 + "1" + ")" * 490 + "}}", "nested too deeply"),
    ],
)
def test_analysis_refuses_what_scenario_templates_may_not_do(template: str, refused: str) -> None:
    assert refused in analyse(template).error


@pytest.mark.parametrize(
    "template",
    [
        "{{ 9 ** (9 ** 9) }}",
        '{{ "a" * 4000000000 }}',
        "{{ [1] * 4000000000 }}",
        "{{ 2 ** 100000 }}",
    ],
)
def test_analysis_never_evaluates(template: str) -> None:
    """jinja2's own name finder folds constants: this took forever or gigabytes in validate."""
    assert analyse(template).error == ""


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{{ 9 ** (9 ** 9) }}", TemplateLimit),
        ('{{ "a" * 4000000000 }}', TemplateLimit),
        ('{{ "ab" + "c" * 1048576 }}', TemplateLimit),
        ('{{ "%0999999999d" % 1 }}', TemplateLimit),
        ('{{ "a".ljust(1000000000) }}', TemplateLimit),
        ('{{ "a".zfill(1000000000) }}', TemplateLimit),
        ('{{ "ab" | replace("", "x" * 1000000) }}', TemplateLimit),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
         TemplateLimit),
        ("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", TemplateLimit),
        ("{{ 2.0 ** 100000 }}", OverflowError),
        ("{{ 1 / 0 }}", ZeroDivisionError),
        ("{{ random_int(2, 1) }}", ValueError),
        ("{{ random_choice([]) }}", IndexError),
        ('{{ 1 + "a" }}', TypeError),
        ("{{ lipsum(100000) }}", UndefinedError),
        ("{{ namespace(a=1) }}", UndefinedError),
    ],
)  # fmt: skip
def test_rendering_is_bounded(template: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        render_text(make_environment().from_string(template), {})


def test_rendering_stops_at_its_deadline() -> None:
    """Time is read from the given clock, so the bound is tested without waiting."""
    ticks = iter(range(1_000_000))
    template = make_environment().from_string("{% for i in range(1000) %}x{% endfor %}")
    with pytest.raises(TemplateLimit, match="to render"):
        render_text(template, {}, clock=lambda: next(ticks) * MAX_RENDER_SECONDS / 10)
