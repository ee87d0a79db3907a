"""One resolution of ``[tool.auditor]`` settings for every command that takes them.

``auditor scan``, ``filter``, ``report``, ``hook`` and ``baseline`` each call
:func:`resolve_settings` once, naming which of their parameters set which
setting; the precedence (flags given on the command line > ``AUDITOR_*``
variables > the configuration file > defaults) lives in
:func:`auditor.hook.settings.load_settings` alone, so the commands cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click
from click.core import ParameterSource

from auditor.hook.settings import HookSettings, load_settings

# Setting -> parameter name, for the options every corpus-reading command shares (_common.reader_options).
READER_PARAMETERS = {"format": "fmt", "text_field": "text_field", "id_field": "id_field"}


def config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--config FILE``: the settings file, instead of looking one up."""
    return click.option(
        "--config", type=click.Path(dir_okay=False), default=None,
        help="Settings file: .auditor.toml, or a pyproject.toml with [tool.auditor]  "
             "[default: looked up from the current directory to the repository root].",
    )(command)


def resolve_settings(parameters: Mapping[str, str]) -> HookSettings:
    """The settings of the running command: its flags > ``AUDITOR_*`` > the settings file > defaults.

    ``parameters`` maps a setting (a :class:`~auditor.hook.settings.HookSettings` attribute)
    to the name of the Click parameter that sets it in this command. A parameter
    counts as a flag only when it was typed on the command line: its default
    (``--method em``, ``--format auto``) must not hide the file's value. The
    settings file is ``--config`` when the command has it and it was given.
    """
    ctx = click.get_current_context()
    overrides: dict[str, object] = {}
    flag_names: dict[str, str] = {}
    for setting, parameter in parameters.items():
        if ctx.get_parameter_source(parameter) is ParameterSource.COMMANDLINE:
            overrides[setting] = ctx.params[parameter]
            flag_names[setting] = _flag_of(ctx.command, parameter)
    return load_settings(ctx.params.get("config"), overrides, flag_names=flag_names)


def _flag_of(command: click.Command, parameter: str) -> str:
    """The long form of the option named ``parameter`` (``--max-score``), for messages."""
    option = next(param for param in command.params if param.name == parameter)
    return max(option.opts, key=len)
