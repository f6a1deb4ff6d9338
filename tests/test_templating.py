"""Templates from untrusted scenario files render in a sandbox; analysis finds the names used."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from peac.spec.templates import analyse
from peac.spec.templating import make_environment, template_strings


@pytest.mark.parametrize(
    "template",
    ["{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ cycler.__init__.__globals__ }}"],
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
    use = analyse("{{ secrets.token }}/{{ users['email'] }}/{{ x | upper }}{% set y = 1 %}{{ y }}")
    assert use.names == {"secrets", "users", "x"}
    assert use.attributes == {"secrets": {"token"}, "users": {"email"}}
    assert analyse("{{ a").error.startswith("template syntax error:")


def test_template_strings_walks_json_bodies() -> None:
    body = {"a": "{{ x }}", "b": [1, "plain", {"c": "{% if y %}1{% endif %}"}]}
    assert template_strings(body) == [
        (("a",), "{{ x }}"),
        (("b", 2, "c"), "{% if y %}1{% endif %}"),
    ]
