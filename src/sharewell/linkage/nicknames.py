"""A small table of English nicknames → canonical given names, for link-files.

The hub's ingest resolves nicknames when it loads extracts (``given_name_canonical``);
``link-files`` works without a hub, so it carries this compact list of its own.
"""

from __future__ import annotations

__all__ = ["NICKNAMES", "canonical_given_name"]

_GROUPS: dict[str, tuple[str, ...]] = {
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "william": ("bill", "billy", "will", "willie", "liam"),
    "richard": ("dick", "rick", "ricky", "rich", "richie"),
    "james": ("jim", "jimmy", "jamie", "jimbo"),
    "john": ("jack", "johnny", "jon"),
    "michael": ("mike", "mick", "micky", "mikey"),
    "thomas": ("tom", "tommy"),
    "christopher": ("chris", "kit", "kris"),
    "anthony": ("tony", "ant"),
    "edward": ("ed", "eddie", "ted", "ned"),
    "joseph": ("joe", "joey"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davey"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve",),
    "matthew": ("matt", "matty"),
    "andrew": ("andy", "drew"),
    "peter": ("pete",),
    "charles": ("charlie", "chas", "chuck"),
    "henry": ("harry", "hal", "hank"),
    "alexander": ("alex", "sandy", "xander", "alec", "lex"),
    "benjamin": ("ben", "benny"),
    "samuel": ("sam", "sammy"),
    "nicholas": ("nick", "nicky"),
    "frederick": ("fred", "freddie"),
    "kenneth": ("ken", "kenny"),
    "ronald": ("ron", "ronnie"),
    "donald": ("don", "donnie"),
    "gerald": ("gerry", "jerry"),
    "lawrence": ("larry", "laurie"),
    "leonard": ("len", "lenny"),
    "patrick": ("pat", "paddy"),
    "timothy": ("tim", "timmy"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby", "bess"),
    "margaret": ("maggie", "peggy", "meg", "margie", "madge"),
    "catherine": ("cathy", "kate", "katie", "cat"),
    "katherine": ("kathy", "kate", "katie", "kath"),
    "jennifer": ("jen", "jenny"),
    "susan": ("sue", "susie"),
    "deborah": ("debbie", "deb"),
    "patricia": ("pat", "patty", "trish", "tricia", "patsy"),
    "victoria": ("vicky", "tori"),
    "rebecca": ("becky", "becca", "bex"),
    "alexandra": ("alex", "sandra", "lexi"),
    "christine": ("chris", "chrissie", "tina"),
    "dorothy": ("dot", "dotty", "dolly"),
    "jacqueline": ("jackie",),
    "samantha": ("sam", "sammy"),
    "abigail": ("abby", "abi", "abbie", "gail"),
    "barbara": ("barb", "babs"),
    "helen": ("nell", "nellie"),
    "eleanor": ("ellie", "nora", "nell"),
    "josephine": ("jo", "josie"),
    "joanne": ("jo",),
    "kimberley": ("kim",),
    "pamela": ("pam",),
    "sarah": ("sally", "sadie"),
    "theresa": ("tess", "terri"),
    "valerie": ("val",),
    "charlotte": ("lottie", "lotte", "charlie"),
    "amelia": ("millie", "mia", "emilia"),
    "emily": ("emmy", "em", "millie"),
    "jessica": ("jess", "jessie"),
    "frances": ("fran", "frankie"),
    "francis": ("frank", "fran"),
    "gillian": ("gill", "jill", "gilly"),
    "raymond": ("ray",),
    "albert": ("bert", "bertie", "al"),
    "oliver": ("ollie", "olly"),
    "philip": ("phil", "pip"),
    "geoffrey": ("geoff",),
    "ann": ("annie", "nan"),
    "isabella": ("bella", "izzy", "isa"),
    "isabel": ("izzy", "bel"),
    "joshua": ("josh",),
    "nathan": ("nate",),
    "nathaniel": ("nat", "nate"),
    "jacob": ("jake",),
    "louise": ("lou", "lulu"),
    "caroline": ("caz", "carrie"),
    "megan": ("meg",),
    "harold": ("harry", "hal"),
    "terence": ("terry",),
    "gregory": ("greg",),
    "douglas": ("doug", "dougie"),
    "stuart": ("stu",),
    "wendy": ("wend",),
    "zachary": ("zach", "zack"),
}

# Ambiguous nicknames (alex, chris, pat, sam, jo, kate, steve) map to the first group that
# names them; the given-name comparison still needs the rest of the record to agree.
NICKNAMES: dict[str, str] = {}
for _canonical, _nicks in _GROUPS.items():
    for _nick in _nicks:
        NICKNAMES.setdefault(_nick, _canonical)


def canonical_given_name(name: str | None) -> str | None:
    """The canonical form of a normalised given name (itself when not a known nickname)."""
    if name is None:
        return None
    return NICKNAMES.get(name, name)
