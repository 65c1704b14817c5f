"""Links that lose to better links at both ends: the household defence that needs no rule
about which field disagrees.

Twins at one address, or a father and son of one name, each have their own record in the
other extract, and it fits far better than the sibling's: Kaitlyn Meyer's census record
matches Kaitlyn's tax record on every field, and Megan's only on all but the first name.
So a pair that disagrees outright on the given name or the date of birth is set aside when
each of its records has another link that is stronger by ``RIVAL_MARGIN`` match-weight
units (a factor of 2**5 = 32 in odds): the pair is a relative's, not a second copy. A
pair whose records have no better partner (a true pair with a mangled field, which is what
FEBRL's errors look like) is untouched, and a person's extra records stay joined through
their stronger links. (A rule that also set aside a
household-like pair with a better link at one end only was tried: it kept twins with one
record apart, but cut FEBRL 3's duplicates whose birthday or first name was replaced —
recall 0.957, below plain Splink — and made no difference to the synthetic county's
household traps, so it was dropped.) Pure: builds SQL.
"""

from __future__ import annotations

__all__ = ["RIVAL_MARGIN", "RIVAL_VETO", "SOFT_VETOES", "with_rivals_sql"]

RIVAL_MARGIN = 5.0
RIVAL_VETO = "better links at both ends"
# Vetoes that say which link is best, not that two records are different people: they
# stop the direct link but are no cannot-link constraint (made hard, they split more true
# persons on the synthetic county than they kept apart).
SOFT_VETOES = (RIVAL_VETO,)


def with_rivals_sql(pairs: str, threshold: float, context: str | None = None) -> str:
    """``pairs`` with ``veto`` set to ``RIVAL_VETO`` on linkable pairs that lose at both ends.

    ``pairs`` has unique_id_l, unique_id_r, match_probability, match_weight, veto and
    differs (``model.differs_sql``); only pairs at or above ``threshold`` and not already
    vetoed take part, as rivals or rivalled. ``context`` is another relation of links
    (unique_id_l, unique_id_r, match_weight) that count as rivals too: for an incremental
    run, the links already in the index.
    """

    def linkable(p: str = "") -> str:
        return f"({p}match_probability >= {threshold!r} AND {p}veto IS NULL)"

    extra = (
        f"UNION ALL SELECT unique_id_l, match_weight FROM {context} "
        f"UNION ALL SELECT unique_id_r, match_weight FROM {context}"
        if context
        else ""
    )
    return f"""
    WITH ends AS (
        SELECT unique_id_l AS id, match_weight AS w FROM {pairs} WHERE {linkable()}
        UNION ALL
        SELECT unique_id_r AS id, match_weight AS w FROM {pairs} WHERE {linkable()}
        {extra}
    ),
    best AS (SELECT id, max(w) AS w FROM ends GROUP BY id)
    SELECT p.* REPLACE (
        CASE WHEN {linkable("p.")} AND p.differs
                  AND bl.w > p.match_weight + {RIVAL_MARGIN!r}
                  AND br.w > p.match_weight + {RIVAL_MARGIN!r}
             THEN '{RIVAL_VETO}'
             ELSE p.veto END AS veto
    )
    FROM {pairs} AS p
    LEFT JOIN best AS bl ON bl.id = p.unique_id_l
    LEFT JOIN best AS br ON br.id = p.unique_id_r
    """
