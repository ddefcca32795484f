"""Named scenarios: presets of parameters and community structure, each from a seed text.

A scenario is the starting point of a run; user parameters override its values.
Structure that is not a single number (which sectors are present and in what
shares, which sector pairs share a history of harm, and who meets in a standing
forum) lives here rather than in the parameter registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .parameters import ParameterError, unknown_name_message, validate

SECTORS: tuple[str, ...] = (
    "community_group",
    "nonprofit",
    "public_agency",
    "law_enforcement",
    "business",
)
"""Sector names (004 multisector; 002 task forces; 000 police and community)."""

# Chance that an organisation of each sector decides hierarchically (fast, rigid)
# rather than by consensus (slow, flexible): 002, "law enforcement has a clear
# hierarchal structure and applauds quick decision-making".
HIERARCHICAL_SHARE: dict[str, float] = {
    "community_group": 0.1,
    "nonprofit": 0.3,
    "public_agency": 0.8,
    "law_enforcement": 1.0,
    "business": 0.6,
}

# Centre of each sector's mandate in a three-goal space (safety, services, economy);
# organisations scatter around it. Aligned mandates make joint work likelier to
# succeed (000 "match mandates", 003 "shared concerns").
MANDATE_CENTRES: dict[str, tuple[float, float, float]] = {
    "community_group": (0.6, 0.6, 0.2),
    "nonprofit": (0.3, 0.9, 0.2),
    "public_agency": (0.5, 0.7, 0.4),
    "law_enforcement": (0.95, 0.25, 0.1),
    "business": (0.1, 0.3, 0.95),
}

DEFAULT_HARMED: tuple[tuple[str, str], ...] = (
    ("law_enforcement", "community_group"),
    ("public_agency", "community_group"),
)
"""Sector pairs with a history of harm (000: police and the Nat community)."""


@dataclass(frozen=True)
class Scenario:
    """A named preset.

    Attributes:
        name: the key in ``SCENARIOS``.
        description: one or two plain sentences.
        source: the seed text (and idea) it comes from.
        parameters: overrides of registry defaults.
        sector_shares: share of organisations in each sector.
        harmed_pairs: sector pairs that start with ``history_of_harm`` as damage.
        forum_sectors: sectors that meet when ``regular_meetings`` is on (000: police and
            community; DESIGN: "a standing forum where two sectors meet").
        funders: funders besides the registry's own, each a dict of funder parameters
            (``funder.FUNDER_KEYS``) that override the run's values for that funder
            (DESIGN: one funder or more, each with its own rules).
    """

    name: str
    description: str
    source: str
    parameters: dict[str, Any] = field(default_factory=dict)
    sector_shares: dict[str, float] = field(
        default_factory=lambda: {
            "community_group": 0.30,
            "nonprofit": 0.30,
            "public_agency": 0.15,
            "law_enforcement": 0.10,
            "business": 0.15,
        }
    )
    harmed_pairs: tuple[tuple[str, str], ...] = DEFAULT_HARMED
    forum_sectors: tuple[str, ...] = ("community_group", "law_enforcement")
    funders: tuple[dict[str, Any], ...] = ()


_POLICE_COMMUNITY_SHARES = {
    "community_group": 0.5,
    "nonprofit": 0.1,
    "public_agency": 0.2,
    "law_enforcement": 0.2,
    "business": 0.0,
}

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "default",
            "A community of 40 organisations across five sectors, no funder mandate, "
            "no backbone: relationships grow at their own pace.",
            "004 (networking to collaboration, Himmelman's continuum)",
        ),
        Scenario(
            "police_community",
            "Community groups, police and public agencies with a history of mutual "
            "mistrust, and no forum where they meet.",
            "000 (police and the Nat community in Bihar)",
            {"n_organisations": 30, "history_of_harm": 0.6},
            sector_shares=_POLICE_COMMUNITY_SHARES,
        ),
        Scenario(
            "police_community_meetings",
            "The same history of mistrust, with regular interface meetings between "
            "community groups and police every month.",
            "000 (regular interface and joint planning sessions)",
            {"n_organisations": 30, "history_of_harm": 0.6, "regular_meetings": True},
            sector_shares=_POLICE_COMMUNITY_SHARES,
        ),
        Scenario(
            "funder_mandate",
            "A funder requires collaboration within 24 months and pushes lagging "
            "applicants up; its money ends after five years.",
            "004 (funders that require organisations to collaborate)",
            {"funder_pressure": 0.6, "funder_required_level": 4, "funder_deadline_months": 24, "funding_end_month": 60},
        ),
        Scenario(
            "collective_impact",
            "A community of 60 with a backbone organisation that runs joint meetings, "
            "shared measurement and introductions for up to 20 partners a month.",
            "001 (Collective Impact: backbone support)",
            {"n_organisations": 60, "backbone": True, "backbone_capacity": 20},
        ),
        Scenario(
            "task_force",
            "An anti-trafficking task force: law enforcement (hierarchical), victim "
            "service providers and NGOs (consensual) competing for scarce funds.",
            "002 (task forces, decision styles, turf wars)",
            {"n_organisations": 30, "funding_scarcity": 0.6},
            sector_shares={
                "community_group": 0.3,
                "nonprofit": 0.4,
                "public_agency": 0.0,
                "law_enforcement": 0.3,
                "business": 0.0,
            },
            harmed_pairs=(),
        ),
        Scenario(
            "two_funders",
            "Two funders: a patient local foundation with grants every six months, and a "
            "federal programme that requires cooperation within 18 months, reviews "
            "progress every quarter and ends after four years.",
            "004 (funders' timelines); DESIGN (one funder or more)",
            {"grant_size": 0.2},
            funders=(
                {
                    "funder_pressure": 0.6, "funder_required_level": 3, "funder_deadline_months": 18,
                    "funder_review_months": 3, "funding_end_month": 48, "grant_interval_months": 12, "grant_size": 0.4,
                },
            ),
        ),
        Scenario(
            "crisis_mutual_aid",
            "A crisis at month 36 takes capacity and raises shared need; neighbours "
            "and organisations reach out to each other.",
            "003 (Covid-19 and mutual aid)",
            {"shock_month": 36, "shock_size": 0.6},
        ),
    )
}


def get_scenario(name: str) -> Scenario:
    """Return the named scenario or raise ParameterError listing the known ones."""
    if not isinstance(name, str) or name not in SCENARIOS:
        raise ParameterError(unknown_name_message(str(name), SCENARIOS, "scenario"))
    return SCENARIOS[name]


def check_funders(scenario: Scenario) -> tuple[dict[str, Any], ...]:
    """A scenario's extra funders, validated: only funder parameters, each in range."""
    from .funder import FUNDER_KEYS

    out = []
    for k, rules in enumerate(scenario.funders):
        for key in rules:
            if key not in FUNDER_KEYS:
                raise ParameterError(f"scenario {scenario.name!r}, funder {k + 2}: {unknown_name_message(key, FUNDER_KEYS, 'funder parameter')}")
        out.append(validate(rules))
    return tuple(out)


def scenario_parameters(name: str) -> dict[str, Any]:
    """The scenario's parameter overrides, validated."""
    return validate(get_scenario(name).parameters)
