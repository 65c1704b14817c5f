"""Names and places of the fictional county: given names by era, nicknames, surnames, streets."""

from __future__ import annotations

import numpy as np

__all__ = [
    "GIVEN_NAMES",
    "NICKNAMES",
    "STREET_ABBREVIATIONS",
    "STREET_NAMES",
    "STREET_SUFFIXES",
    "TOWNS",
    "given_name_weights",
    "surname_table",
]

# Popular given names in England and Wales by sex and birth era, most popular first. The era
# matters for linkage: two Margarets are likelier to be the same person than two Olivias.
GIVEN_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("female", "older"): (
        "Margaret", "Patricia", "Jean", "Joan", "Mary", "Sheila", "Barbara", "Dorothy",
        "Elizabeth", "Betty", "Doreen", "Eileen", "Joyce", "Brenda", "Sylvia", "Irene",
        "Pauline", "Valerie", "Maureen", "Kathleen", "Audrey", "Marjorie", "Edna", "Christine",
        "June", "Ann", "Shirley", "Gillian", "Susan", "Frances", "Katherine",
    ),
    ("female", "middle"): (
        "Susan", "Sarah", "Karen", "Julie", "Helen", "Nicola", "Lisa", "Amanda", "Deborah",
        "Tracey", "Michelle", "Claire", "Joanne", "Angela", "Elizabeth", "Katherine", "Alison",
        "Rachel", "Emma", "Louise", "Caroline", "Samantha", "Jennifer", "Rebecca", "Victoria",
        "Kelly", "Andrea", "Wendy", "Gillian", "Christine", "Patricia", "Catherine",
    ),
    ("female", "younger"): (
        "Olivia", "Emily", "Sophie", "Jessica", "Amelia", "Chloe", "Charlotte", "Hannah",
        "Lauren", "Megan", "Isabella", "Grace", "Lucy", "Ella", "Mia", "Ava", "Isla", "Poppy",
        "Ruby", "Lily", "Holly", "Katie", "Abigail", "Amy", "Rebecca", "Bethany", "Freya",
        "Evie", "Victoria", "Alexandra", "Samantha", "Elizabeth", "Katherine", "Emma",
    ),
    ("male", "older"): (
        "John", "William", "Robert", "David", "Peter", "Michael", "Brian", "Kenneth", "George",
        "Ronald", "Anthony", "James", "Derek", "Dennis", "Alan", "Roy", "Raymond", "Frederick",
        "Leonard", "Harold", "Arthur", "Albert", "Ernest", "Donald", "Gerald", "Richard",
        "Thomas", "Edward", "Stanley", "Frank", "Keith", "Colin", "Geoffrey",
    ),
    ("male", "middle"): (
        "David", "Paul", "Mark", "Andrew", "Stephen", "Michael", "Ian", "Gary", "Richard",
        "Robert", "Christopher", "Simon", "Darren", "Neil", "Jason", "Martin", "Anthony",
        "Steven", "Kevin", "Lee", "Matthew", "Jonathan", "Philip", "Daniel", "James", "John",
        "Peter", "Nicholas", "Stuart", "Craig", "Thomas", "William", "Alexander",
    ),
    ("male", "younger"): (
        "Oliver", "Jack", "Harry", "George", "Thomas", "James", "William", "Joshua", "Daniel",
        "Samuel", "Joseph", "Charlie", "Alfie", "Jacob", "Noah", "Leo", "Oscar", "Benjamin",
        "Alexander", "Lewis", "Ryan", "Luke", "Matthew", "Callum", "Liam", "Nathan", "Adam",
        "Edward", "Henry", "Freddie", "Archie", "Ethan", "Harrison", "Christopher", "Robert",
        "Michael",
    ),
}  # fmt: skip

# Nicknames and spelling variants a partner may record instead of the given name.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"),
    "William": ("Bill", "Will", "Billy", "Liam"),
    "Katherine": ("Kate", "Catherine", "Kathryn", "Katie", "Kathy"),
    "Catherine": ("Kate", "Katherine", "Cathy", "Cath"),
    "Elizabeth": ("Liz", "Beth", "Betty", "Lizzie", "Elisabeth"),
    "Margaret": ("Maggie", "Peggy", "Meg", "Margret"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Richard": ("Rich", "Dick", "Ricky"),
    "Michael": ("Mike", "Mick", "Micheal"),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris", "Kristopher"),
    "Anthony": ("Tony", "Antony"),
    "Susan": ("Sue", "Suzanne", "Susie"),
    "Patricia": ("Pat", "Trish", "Patsy"),
    "Jennifer": ("Jen", "Jenny"),
    "Alexander": ("Alex", "Sandy", "Alec"),
    "Alexandra": ("Alex", "Alexandria", "Lexi"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Joseph": ("Joe", "Joey"),
    "Edward": ("Ed", "Ted", "Eddie"),
    "Samuel": ("Sam", "Sammy"),
    "Samantha": ("Sam", "Sammy"),
    "Benjamin": ("Ben",),
    "Jonathan": ("Jon", "Johnathan"),
    "Stephen": ("Steve", "Steven"),
    "Steven": ("Steve", "Stephen"),
    "Peter": ("Pete",),
    "David": ("Dave", "Davey"),
    "Andrew": ("Andy", "Drew"),
    "Nicholas": ("Nick", "Nicky"),
    "Deborah": ("Debbie", "Debra", "Deb"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Charlotte": ("Lottie", "Charlie"),
    "Abigail": ("Abby", "Abbie"),
    "Jessica": ("Jess", "Jessie"),
    "Frances": ("Fran", "Francis"),
    "Dorothy": ("Dot", "Dotty", "Dora"),
    "Christine": ("Chris", "Christina"),
    "Sarah": ("Sara", "Sally"),
    "Gillian": ("Gill", "Jill", "Jillian"),
    "Joanne": ("Jo", "Joanna"),
    "Kenneth": ("Ken", "Kenny"),
    "Ronald": ("Ron", "Ronnie"),
    "Donald": ("Don",),
    "Gerald": ("Gerry", "Jerry"),
    "Leonard": ("Len", "Lenny"),
    "Raymond": ("Ray",),
    "Frederick": ("Fred", "Freddie"),
    "Harold": ("Harry",),
    "Albert": ("Bert", "Bertie"),
    "Oliver": ("Ollie",),
    "Philip": ("Phil", "Phillip"),
    "Geoffrey": ("Geoff", "Jeffrey"),
    "Tracey": ("Tracy",),
    "Ann": ("Anne", "Annie"),
    "Jean": ("Jeanne",),
    "Pauline": ("Paula",),
    "Isabella": ("Bella", "Izzy"),
    "Amelia": ("Millie", "Emilia"),
    "Emily": ("Emmy", "Emilie"),
    "Joshua": ("Josh",),
    "Callum": ("Calum",),
    "Nathan": ("Nate",),
    "Lewis": ("Louis",),
    "Archie": ("Archibald",),
    "Henry": ("Harry", "Hal"),
    "Charlie": ("Charles",),
    "Jacob": ("Jake",),
    "Louise": ("Lou", "Louisa"),
    "Caroline": ("Carol", "Carolyn"),
    "Helen": ("Helena", "Nell"),
    "Megan": ("Meg", "Meghan"),
    "Lauren": ("Laura",),
}

# The commonest surnames in England and Wales, commonest first; the apostrophes are kept.
_COMMON_SURNAMES: tuple[str, ...] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood",
    "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King",
    "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
    "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards",
    "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson",
    "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain",
    "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd",
    "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews",
    "Stewart", "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day",
    "Brooks", "West", "Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson",
    "Ball", "Burton", "O'Brien", "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells",
    "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster",
    "Hunter", "Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons",
    "Berry", "Stone", "Reid", "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton",
    "Oliver", "Reed", "Kennedy", "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane",
    "Cooke", "Bates", "Henderson", "Parry", "Burgess", "Bishop", "Walton", "Burns",
    "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren", "Nicholls",
    "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis",
    "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers",
    "O'Neill", "Griffin", "Sharp", "Hardy", "Wheeler", "Potter", "Osborne", "Johnston",
    "Gordon", "Doyle", "Wallace", "George", "Jordan", "Hutchinson", "Rowe", "Burke", "May",
    "Pritchard", "Gilbert", "Willis", "Higgins", "Read", "Miles", "Stevenson", "Stephenson",
    "Hammond", "Arnold", "Buckley", "Walters", "Hewitt", "Barber", "Nelson", "Slater",
    "Austin", "Sullivan", "Whitehead", "Mann", "Frost", "Lambert", "Stephens", "Blake",
    "Akhtar", "Lynch", "Goodwin", "Barton", "Woodward", "Thomson", "Cunningham", "Quinn",
    "Barnett", "Baxter", "Bibi", "Clayton", "Nash", "Greenwood", "Jennings", "Holt", "Kemp",
    "Poole", "Gallagher", "Bond", "Stokes", "Tucker", "Davidson", "Fowler", "Heath", "Norman",
    "Middleton", "Lawson", "Banks", "French", "Stanley", "Jarvis", "Gibbs", "Ferguson",
    "Hayward", "Carroll", "Farrell", "Duncan", "Kirk", "Smith-Jones", "Fitzgerald",
)  # fmt: skip

# Rarer local surnames built from place-name parts: the long tail that makes a surname useful.
_TAIL_FIRST = (
    "Ash", "Black", "Brad", "Brook", "Cald", "Carl", "Dun", "Fair", "Hart", "Hol", "Kings",
    "Lang", "Mar", "Mid", "North", "Oak", "Pen", "Ray", "Shel", "Thorn", "Wake", "Whit", "Win",
    "Har", "Els", "Al", "Bar", "Crom", "Dray", "Ever", "Gar", "Ing", "Kel", "Lind", "Mor",
    "Nor", "Pem", "Ros", "Stan", "Wad",
)  # fmt: skip
_TAIL_LAST = (
    "ley", "ton", "worth", "field", "ham", "wood", "by", "well", "more", "stead", "croft",
    "bury", "ridge", "low", "combe", "den", "ford", "hurst", "dale", "thorpe", "wick", "cote",
    "gate", "hill", "shaw",
)  # fmt: skip

STREET_NAMES: tuple[str, ...] = (
    "Station", "Church", "Mill", "High", "Park", "Victoria", "Queen's", "King's", "Manor",
    "Green", "School", "Chapel", "Windsor", "Albert", "Grange", "Orchard", "Meadow",
    "Springfield", "Beech", "Oak", "Elm", "Ash", "Willow", "Cedar", "Highfield", "Westfield",
    "Brook", "Hill", "North", "South", "London", "Newton", "Castle", "Abbey", "Priory",
    "Rectory", "Vicarage", "York", "Cromwell", "Nelson", "Wellington", "Jubilee", "Coronation",
    "Hawthorn", "Holly", "Rowan", "Larch", "Poplar", "Sycamore", "Chestnut", "Birch",
    "Laburnum", "Lime", "Maple", "Ferndale", "Glebe", "Heath", "Kingsway", "Mulberry",
    "St John's", "St Mary's", "Fairfield", "Riverside", "Quarry", "Forge", "Tannery",
)  # fmt: skip
STREET_SUFFIXES: tuple[str, ...] = (
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Gardens", "Crescent",
    "Court", "Place", "Grove", "Terrace",
)  # fmt: skip
STREET_ABBREVIATIONS: dict[str, str] = {
    "Road": "Rd", "Street": "St", "Lane": "Ln", "Avenue": "Ave", "Close": "Cl", "Drive": "Dr",
    "Way": "Wy", "Gardens": "Gdns", "Crescent": "Cres", "Court": "Ct", "Place": "Pl",
    "Grove": "Gr", "Terrace": "Terr",
}  # fmt: skip

# The fictional towns of Westshire, one per postcode district (reused when there are more).
TOWNS: tuple[str, ...] = (
    "Ashbury", "Kingsford Abbey", "Millbrook", "Hartwell", "Elmstead Marsh", "Stowmere",
    "Bramley Cross", "Wexcombe", "Felsham Heath", "Ravenholt", "Thornby", "Cadwell",
    "Linmouth", "Sedgecombe", "Harrowfield", "Upper Wexcombe", "Westmere", "Oakridge",
    "Fenbridge", "Holloway St Mary",
)  # fmt: skip


def given_name_weights(names: tuple[str, ...]) -> np.ndarray:
    """Probabilities for a ranked name list: a Zipf-like skew, the top name commonest."""
    ranks = np.arange(1, len(names) + 1, dtype=float)
    weights = 1.0 / ranks**0.7
    return weights / weights.sum()


def surname_table() -> tuple[tuple[str, ...], np.ndarray]:
    """Every surname and its probability: common names skewed (Smith first), then a long tail.

    Shaped on England and Wales: Smith about 1.2%, the top ten about 6%, and most people
    (about three in five) with a name outside the few hundred commonest.
    """
    common_set = set(_COMMON_SURNAMES) | set(TOWNS)  # a surname that is a town confuses people
    tail = tuple(
        name
        for name in (f + last for f in _TAIL_FIRST for last in _TAIL_LAST)
        if name not in common_set
    )
    names = _COMMON_SURNAMES + tail
    ranks = np.arange(1, len(_COMMON_SURNAMES) + 1, dtype=float)
    common = 1.0 / ranks**0.5
    common = 0.38 * common / common.sum()
    weights = np.concatenate([common, np.full(len(tail), 0.62 / len(tail))])
    return names, weights / weights.sum()
