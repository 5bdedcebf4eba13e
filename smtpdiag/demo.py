"""The one door from the product to the simulated network (``smtpdiag.simnet``).

The faces (``smtpdiag demo``, the window's practice mode) reach the simulated
world only through these functions; nothing else in the product imports
``smtpdiag.simnet`` (an import-linter contract in pyproject.toml holds it).  Tests
may use simnet directly.  Importing this module is cheap: the simulated servers
(aiosmtpd, trustme) load when a scenario starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .simnet.scenarios import Scenario
    from .simnet.world import RunningScenario


def scenarios() -> dict[str, Scenario]:
    """The practice situations by name, in the order they are offered."""
    from .simnet.scenarios import SCENARIOS

    return SCENARIOS


def start_scenario(name: str) -> RunningScenario:
    """Start scenario *name*'s world; use it as a context manager (``with ... as sim``):
    ``sim.network`` is the network to check on, ``sim.demo_config(timeout=...)`` the run."""
    from .simnet.world import start_scenario as start

    return start(name)


def mail_accounts(name: str) -> tuple[Any, ...]:
    """The built-in example mail programs of scenario *name* (issue 15; never the user's own)."""
    from .simnet.scenarios import mail_accounts as accounts_of

    scenario = scenarios().get(name)
    return accounts_of(scenario) if scenario is not None else ()
