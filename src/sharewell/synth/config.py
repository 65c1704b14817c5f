"""What to generate: the size, seed, time window, rates and effects of a synthetic partnership.

Every default is documented in docs/synthetic.md; a test fails when one is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

__all__ = ["DEFAULT_QUALITY", "PARTNER_EXTRACTS", "PartnerQuality", "SynthConfig"]

# Extract keys (partner slug / extract name) used to look up quality settings.
PARTNER_EXTRACTS: tuple[str, ...] = (
    "westshire_cc/asc_clients",
    "westshire_fire/incidents",
    "westshire_fire/safe_and_well_visits",
    "westshire_police/mh_incidents",
    "westshire_mht/crisis_contacts",
    "westshire_icb/over65_register",
    "westshire_ambulance/mh_callouts",
    "westshire_cc/council_tax_discounts",
)


@dataclass(frozen=True)
class PartnerQuality:
    """Probabilities of each recording problem in one extract (per record or per registration)."""

    typo: float = 0.03  # one character wrong in given or family name
    nickname: float = 0.05  # a nickname or spelling variant for the given name (Bob, Kate)
    swapped_names: float = 0.01  # given and family name the wrong way round
    dob_transposed: float = 0.01  # day and month swapped (only where both are <= 12)
    dob_partial: float = 0.01  # only the year known: recorded as 1 January of that year
    dob_missing: float = 0.01  # no date of birth at all
    address_variant: float = 0.15  # same address written differently (Rd, no town, capitals)
    stale_address: float = 0.30  # after a household moved: the old address still recorded
    postcode_missing: float = 0.01  # no postcode
    sex_unknown: float = 0.01  # sex recorded as unknown
    uprn_missing: float = 0.10  # no UPRN
    nhs_missing: float = 0.20  # no NHS number
    nhs_typo: float = 0.005  # one digit of the NHS number keyed wrongly (usually fails the check)
    name_suffix: float = 0.30  # for a father and son of one name: "Jnr"/"Snr" added
    duplicate: float = 0.02  # the same record entered twice under two record ids
    event_date_missing: float = 0.002  # the event's own date left blank (a row ingest must refuse)


def _q(**kwargs: float) -> PartnerQuality:
    return replace(PartnerQuality(), **kwargs)


# Typical quality of each partner's recording (see docs/synthetic.md for the reasoning).
DEFAULT_QUALITY: dict[str, PartnerQuality] = {
    "westshire_cc/asc_clients": _q(
        typo=0.03,
        nickname=0.05,
        address_variant=0.15,
        stale_address=0.25,
        nhs_missing=0.25,
        uprn_missing=0.08,
        duplicate=0.03,
    ),
    "westshire_fire/incidents": _q(
        typo=0.05,
        nickname=0.15,
        swapped_names=0.02,
        dob_transposed=0.02,
        dob_partial=0.05,
        dob_missing=0.15,
        address_variant=0.30,
        stale_address=0.05,
        postcode_missing=0.02,
        uprn_missing=0.15,
        nhs_missing=0.97,
        duplicate=0.03,
    ),
    "westshire_fire/safe_and_well_visits": _q(
        typo=0.03,
        nickname=0.10,
        dob_partial=0.02,
        dob_missing=0.05,
        address_variant=0.20,
        stale_address=0.05,
        uprn_missing=0.05,
        nhs_missing=0.95,
        duplicate=0.01,
    ),
    "westshire_police/mh_incidents": _q(
        typo=0.05,
        nickname=0.20,
        swapped_names=0.03,
        dob_transposed=0.03,
        dob_partial=0.03,
        dob_missing=0.05,
        address_variant=0.35,
        stale_address=0.40,
        postcode_missing=0.05,
        uprn_missing=0.92,
        nhs_missing=0.95,
        name_suffix=0.50,
        duplicate=0.06,
    ),
    "westshire_mht/crisis_contacts": _q(
        typo=0.02,
        nickname=0.03,
        dob_partial=0.0,
        dob_missing=0.0,
        address_variant=0.10,
        stale_address=0.15,
        uprn_missing=0.30,
        nhs_missing=0.05,
        duplicate=0.02,
    ),
    "westshire_icb/over65_register": _q(
        typo=0.01,
        nickname=0.01,
        swapped_names=0.005,
        dob_transposed=0.005,
        dob_partial=0.0,
        dob_missing=0.0,
        address_variant=0.05,
        stale_address=0.10,
        postcode_missing=0.0,
        uprn_missing=0.05,
        nhs_missing=0.005,
        name_suffix=0.05,
        duplicate=0.005,
    ),
    "westshire_ambulance/mh_callouts": _q(
        typo=0.06,
        nickname=0.15,
        swapped_names=0.03,
        dob_transposed=0.03,
        dob_partial=0.04,
        dob_missing=0.20,
        address_variant=0.35,
        stale_address=0.30,
        postcode_missing=0.05,
        uprn_missing=0.85,
        nhs_missing=0.60,
        nhs_typo=0.01,
        duplicate=0.04,
    ),
    # Revenues and benefits: the single person discount list. Names as the liable party
    # gave them and the property from the valuation list (UPRNs nearly always there);
    # no date of birth, sex or NHS number, as a council tax extract holds none.
    "westshire_cc/council_tax_discounts": _q(
        typo=0.02,
        nickname=0.08,
        swapped_names=0.005,
        address_variant=0.05,
        stale_address=0.10,
        postcode_missing=0.005,
        uprn_missing=0.02,
        nhs_missing=1.0,
        duplicate=0.01,
    ),
}


@dataclass(frozen=True)
class SynthConfig:
    """Everything that shapes a synthetic partnership; one config always gives the same data."""

    people: int = 5000
    seed: int = 42
    county: str = "Westshire"
    # The years of history every extract covers; ages are as at history_end.
    history_start: date = date(2019, 1, 1)
    history_end: date = date(2024, 12, 31)

    # Households and the traps they hold for record linkage.
    twin_rate: float = 0.04  # share of families with 2+ children whose eldest two are twins
    namesake_rate: float = 0.25  # share of fathers with a son at home who share his name
    move_rate: float = 0.12  # share of households that moved during the history window
    trap_contact_rate: float = 0.3  # share of twin and namesake pairs both crisis-prone (14+)

    # Mental health: who is prone to crisis and how often crises happen.
    crisis_prone_rate: float = 0.02  # share of people aged 14+ prone to repeated crisis
    household_vulnerability_share: float = 0.3  # share of the latent vulnerability households share
    crisis_rate_mean: float = 1.5  # mean crisis team contacts a year for a crisis-prone adult
    background_crisis_rate: float = 0.004  # crises a year for everyone else (one-off crises)
    mh_trend: float = 0.04  # all mental health demand grows by this share each year

    # The safe haven: an alternative to police and A&E for people in crisis.
    safe_haven_open: date = date(2022, 4, 1)
    referral_rate: float = 0.5  # share of people in crisis after opening who are referred
    safe_haven_effect: float = 0.35  # relative fall in police MH, S136 and A&E after referral

    # Fire: annual dwelling fire rate of a household with no risk factor (the national rate is
    # about 0.001 a household; inflated so a county of a few thousand has fires to learn from).
    dwelling_fire_rate: float = 0.002
    casualty_rate: float = 0.10  # chance a person at a dwelling fire with no risk factor is hurt
    safe_and_well_rate: float = 0.06  # yearly chance a household with someone 65+ is visited

    # Recording quality of each extract, keyed "partner/extract" (docs/synthetic.md).
    quality: dict[str, PartnerQuality] = field(default_factory=lambda: dict(DEFAULT_QUALITY))

    def quality_for(self, extract: str) -> PartnerQuality:
        """The recording quality of ``extract`` (``partner/name``), defaults where unset."""
        return self.quality.get(extract, PartnerQuality())

    def validate(self) -> None:
        """Raise ConfigError with the offending field when the config cannot be generated."""
        from sharewell.errors import ConfigError

        if self.people < 10:
            raise ConfigError(f"people must be at least 10 (got {self.people})")
        if not self.history_start < self.safe_haven_open < self.history_end:
            raise ConfigError(
                "safe_haven_open must fall inside the history window "
                f"{self.history_start}..{self.history_end} (got {self.safe_haven_open})"
            )
        if (self.history_end - self.history_start).days < 365:
            raise ConfigError("the history window must cover at least one year")
        for name in (
            "referral_rate",
            "safe_haven_effect",
            "twin_rate",
            "namesake_rate",
            "trap_contact_rate",
            "household_vulnerability_share",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1 (got {value})")
        for extract, quality in self.quality.items():
            for name, value in vars(quality).items():
                if not 0.0 <= value <= 1.0:
                    raise ConfigError(
                        f"quality of {extract}: {name} must be between 0 and 1 (got {value})"
                    )
