"""Entity search coherence: does `GET /search?entity=NAME` find every article that mentions a
concept, whatever name the user types for it?

One run, on the AllSides corpus (2,300 US political news articles, 2012-2020):

1. set-up: a fresh DATA_DIR (SQLite, or a throwaway PostgreSQL cluster with --database
   postgres) and a local Meilisearch under DATA_DIR/meilisearch started here (the key is this
   run's, as bench/ingest.py does); the real `newsarchive import --format allsides --index
   --processes N` fills both; then `newsarchive serve` runs on a free loopback port against
   them, with an admin key made by `newsarchive keys create`, and the run waits for /ready.
   `--reuse DIR` skips the import and serves a data dir kept by an earlier `--keep` run: the
   entities are then those extracted at that import, resolved by today's search code.
2. ground truth: for each concept below (people, parties, agencies, companies, countries,
   international bodies), case-sensitive patterns over the article's title and body as the
   importer stores them (the JSON files read here, through the importer's own field mapping,
   app/ingestion/allsides.py). An article *mentions* a concept when a full pattern matches
   ("Barack Obama", "President Obama", "GOP"), or when a short pattern matches (a bare
   surname) and no lookalike is in the article ("Michelle Obama", "Melania Trump", "Sarah
   Huckabee Sanders", "New Mexico"). Lookalike spans never count as mentions. Short forms
   marked not definite (bare "Clinton", "Ryan", demonyms such as "Russian"), and a short match
   in an article that also names a lookalike, make the article *ambiguous*: it is left out of
   both recall and precision and counted apart; except that where the bare name then most
   likely means the lookalike (bare "Sanders" beside "Sarah Huckabee Sanders" and no
   "Bernie"), the article does not mention the concept. Articles stored as duplicates of
   another are hidden from search, so they are left out too.
3. for every search name of every concept: all results of /search?entity=NAME (cursor mode,
   100 a page, to the end), mapped back to AllSides IDs through external_id. Per name: recall
   = |found & mentioning| / |mentioning|, precision = |found & mentioning| / |found -
   ambiguous|, the found articles that match no pattern (with examples) and the slug the
   name resolved to; per concept: consistency = |intersection| / |union| of the names' result
   sets. Target: recall and precision >= 0.95 for every name, consistency 1.0.
4. the 300 entities linked to most articles (GET /entities?sort=articles), with heuristic
   flags for a human to review: a one-word name that is the first or last word of a person's
   name, two people with the same first and last words ("Paul D. Ryan", "Paul Ryan"), an
   acronym equal to the initials of another entity's name, slugs that differ only by
   a plural "s", "-ic", "-party" or hyphens, well-known organisations typed as something else,
   and organisations named like a listed person's surname.

Run:  .venv/bin/python -m bench.entity_coherence [--limit N] [--processes 2]
          [--keep] [--reuse DIR] [--database sqlite|postgres]
          [--json FILE] [--entities-out FILE] [--print-entities 50]
e.g.  .venv/bin/python -m bench.entity_coherence --keep          # full import, keep the data
      .venv/bin/python -m bench.entity_coherence --reuse DIR     # searches only, in seconds
Data: ../shared/data/allsides (Article-Bias-Prediction subset; article text remains the
publishers' copyright: it is read in place, and only titles of examples are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx

from app.paths import SHARED_DATA

DEFAULT_DATA = SHARED_DATA / "allsides" / "jsons"
TARGET = 0.95
TOP_ENTITIES = 300
PAGE = 100
EXAMPLES = 3
DATABASE_FILE = "newsarchive.db"
MEILI_DIR = "meilisearch"
SERVE_LOG = "serve.log"

# --- ground truth: concepts, their search names and their mentions in text -------------------

US_STATES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming"
)


#: "US" inside an all-caps run ("GIVE US MORE") is the pronoun. (The acronym comes first in the
#: pattern so that `re` searches for it as a literal.)
US_IN_CAPS = r"\bUS\b(?<=[A-Z]{2}[ ,]US)(?=[ ,][A-Z]{2})"


class Mention(StrEnum):
    YES = "yes"
    AMBIGUOUS = "ambiguous"
    NO = "no"


@dataclass(frozen=True)
class Concept:
    """A thing a reader searches for, the names they type for it, and how text mentions it.

    `full`: always a mention. `short` (a bare surname, a demonym): a mention when
    `short_definite`, else ambiguous; but in an article that also names a lookalike (and never
    the concept in full) it is `short_with_lookalike`: ambiguous, or no mention where the bare
    name most likely means the lookalike (bare "Sanders" beside "Sarah Huckabee Sanders").
    `lookalikes`: other things sharing a name; text inside a lookalike's match never counts.
    """

    label: str
    kind: str
    names: tuple[str, ...]
    full: tuple[str, ...]
    short: tuple[str, ...] = ()
    lookalikes: tuple[str, ...] = ()
    short_definite: bool = True
    short_with_lookalike: Mention = Mention.AMBIGUOUS
    note: str = ""


CONCEPTS: tuple[Concept, ...] = (
    # --- people --------------------------------------------------------------------------
    Concept(
        "Barack Obama",
        "person",
        ("Barack Obama", "Obama", "President Obama"),
        full=(
            r"\bBarack (?:Hussein )?(?:H\. )?Obama\b",
            r"\b(?:President|Mr\.|Sen\.|Senator|President-elect) Obama\b",
        ),
        short=(r"\bObama\b",),
        lookalikes=(r"\b(?:Michelle|Malia|Sasha|Auma|Mrs\.|Ms\.) Obama\b",),
    ),
    Concept(
        "Donald Trump",
        "person",
        ("Donald Trump", "Trump", "President Trump"),
        full=(
            r"\bDonald (?:J\. |John )?Trump\b(?!,? Jr\b)",
            r"\b(?:President|Mr\.|President-elect|President-Elect) Trump\b(?!,? Jr\b)",
        ),
        short=(r"\bTrump\b",),
        lookalikes=(
            r"\bDonald (?:J\. |John )?Trump,? Jr\b\.?",
            r"\bTrump,? Jr\b\.?",
            r"\b(?:Melania|Ivanka|Barron|Tiffany|Eric|Lara|Fred|Ivana|Mary|Maryanne|Robert"
            r"|Mrs\.|Ms\.) Trump\b",
            r"\bTrump (?:Tower|Organization|International|University|Foundation|National"
            r"|Hotel|Taj Mahal|Plaza|Entertainment|Shuttle|Doral|Turnberry|Winery)\b",
        ),
        note="Trump Jr., family members and Trump-branded buildings and companies are lookalikes",
    ),
    Concept(
        "Joe Biden",
        "person",
        ("Joe Biden", "Biden", "Joseph Biden"),
        full=(
            r"\bJo(?:e|seph) (?:R\. |Robinette )?Biden\b",
            r"\b(?:Vice President|Vice-President|President|Mr\.|Sen\.|Senator|President-elect)"
            r" Biden\b",
        ),
        short=(r"\bBiden\b",),
        lookalikes=(
            r"\b(?:Jill|Hunter|Beau|Ashley|James|Jim|Frank|Valerie|Naomi|Finnegan|Hallie"
            r"|Kathleen|Mrs\.|Ms\.|Dr\.) Biden\b",
        ),
    ),
    Concept(
        "Hillary Clinton",
        "person",
        ("Hillary Clinton", "Hillary", "Hillary Rodham Clinton"),
        full=(
            r"\bHillary (?:Rodham |Diane Rodham )?Clinton\b",
            r"\bHillary\b",
            r"\b(?:Mrs\.|Secretary|Secretary of State|Sen\.|Senator|Madam Secretary) Clinton\b",
        ),
        short=(r"\bClinton\b",),
        lookalikes=(
            r"\bEdmund Hillary\b",
            r"\b(?:Bill|William Jefferson|William J\.|William|Chelsea|George|Henry|DeWitt)"
            r" Clinton\b",
            r"\bformer President (?:Bill )?Clinton\b",
        ),
        short_definite=False,
        note="bare 'Clinton' ('President Clinton', 'the Clintons') is ambiguous; Bill's beside him",
        short_with_lookalike=Mention.NO,
    ),
    Concept(
        "Bill Clinton",
        "person",
        ("Bill Clinton", "William Jefferson Clinton"),
        full=(
            r"\bBill Clinton\b",
            r"\bWilliam (?:Jefferson |J\. )?Clinton\b",
            r"\bformer President (?:Bill )?Clinton\b",
        ),
        short=(r"\bClinton\b",),
        lookalikes=(
            r"\bHillary (?:Rodham |Diane Rodham )?Clinton\b",
            r"\b(?:Mrs\.|Secretary|Secretary of State|Sen\.|Senator|Madam Secretary) Clinton\b",
            r"\b(?:Chelsea|George|Henry|DeWitt) Clinton\b",
        ),
        short_definite=False,
        note="bare 'Clinton' is ambiguous; Hillary's beside her",
        short_with_lookalike=Mention.NO,
    ),
    Concept(
        "Bernie Sanders",
        "person",
        ("Bernie Sanders", "Sanders", "Bernie"),
        full=(
            r"\bBern(?:ie|ard) Sanders\b",
            r"\b(?:Sen\.|Senator) (?:Bernie )?Sanders\b",
            r"\bBernie\b",
        ),
        short=(r"\bSanders\b",),
        lookalikes=(
            r"\b(?:Sarah|Huckabee|Symone|Deion|Barry|Colonel|Col\.|Jane|Shalanda|Bernice)"
            r" Sanders\b",
            r"\bBernie (?:Madoff|Marcus|Ecclestone|Kerik|Williams|Mac|Moreno)\b",
        ),
        note="Sarah Huckabee Sanders and Symone Sanders are lookalikes",
        short_with_lookalike=Mention.NO,
    ),
    Concept(
        "Sarah Huckabee Sanders",
        "person",
        ("Sarah Huckabee Sanders", "Sarah Sanders"),
        full=(r"\bSarah (?:Huckabee )?Sanders\b", r"\bHuckabee Sanders\b"),
        short=(r"\bSanders\b",),
        lookalikes=(
            r"\bBern(?:ie|ard) Sanders\b",
            r"\b(?:Sen\.|Senator) (?:Bernie )?Sanders\b",
            r"\b(?:Symone|Deion|Barry|Colonel|Col\.|Jane) Sanders\b",
        ),
        short_definite=False,
        note="bare 'Sanders' is ambiguous; Bernie's beside him",
        short_with_lookalike=Mention.NO,
    ),
    Concept(
        "Nancy Pelosi",
        "person",
        ("Nancy Pelosi", "Pelosi", "Speaker Pelosi"),
        full=(
            r"\bNancy (?:Patricia )?Pelosi\b",
            r"\b(?:Speaker|House Speaker|Minority Leader|Rep\.|Mrs\.|Ms\.|Madam Speaker)"
            r" Pelosi\b",
        ),
        short=(r"\bPelosi\b",),
        lookalikes=(r"\b(?:Paul|Alexandra|Christine|Jacqueline|Nancy Corinne) Pelosi\b",),
    ),
    Concept(
        "Vladimir Putin",
        "person",
        ("Vladimir Putin", "Putin", "President Putin"),
        full=(r"\bVladimir (?:Vladimirovich )?Putin\b", r"\b(?:President|Mr\.) Putin\b"),
        short=(r"\bPutin\b",),
    ),
    Concept(
        "Mitch McConnell",
        "person",
        ("Mitch McConnell", "McConnell"),
        full=(
            r"\bMitch McConnell\b",
            r"\bAddison Mitchell McConnell\b",
            r"\b(?:Sen\.|Senator|Leader|Mr\.) McConnell\b",
        ),
        short=(r"\bMcConnell\b",),
        lookalikes=(r"\b(?:John|Mike|Sean|Fred|Judith|Elaine) McConnell\b",),
    ),
    Concept(
        "Elizabeth Warren",
        "person",
        ("Elizabeth Warren", "Warren"),
        full=(
            r"\bElizabeth (?:Ann )?Warren\b",
            r"\b(?:Sen\.|Senator|Ms\.|Mrs\.|Professor) Warren\b",
        ),
        # Not "Warren Buffett", "Warren County": a first name or part of a longer name.
        short=(r"\bWarren\b(?! [A-Z][a-z])",),
        lookalikes=(
            r"\b(?:Earl|Rick|Mercy|Kay|Lesley Ann|Robert Penn|Chief Justice) Warren\b",
            r"\bWarren, (?:Mich|Michigan|Ohio|Pa|Pennsylvania|N\.J|Ark)\b",
        ),
    ),
    Concept(
        "Ted Cruz",
        "person",
        ("Ted Cruz", "Cruz"),
        full=(
            r"\bTed Cruz\b",
            r"\bRafael Edward (?:\"Ted\" )?Cruz\b",
            r"\b(?:Sen\.|Senator) (?:Ted )?Cruz\b",
        ),
        short=(r"\bCruz\b",),
        lookalikes=(
            r"\b(?:Heidi|Nikolas|Zachary|Yulín|Yulin|Carmen|Penélope|Penelope|Rafael|Santa"
            r"|Vera|Mayor|Celia|Mayra|Ricardo|Victor|Oscar|Monica|Sonia|Maria|María|Jose|José"
            r"|Juan|Luis|Ana) Cruz\b",
            r"\b[Dd]e [Ll]a Cruz\b",
            r"\bCruz Azul\b",
            # Stories about the Parkland school shooting may name him "Mr Cruz" only.
            r"\b(?:Parkland|Marjory Stoneman Douglas|Florida school)\b",
        ),
        note="Nikolas Cruz (Parkland), Carmen Yulín Cruz (San Juan), Santa Cruz are lookalikes",
        short_with_lookalike=Mention.NO,
    ),
    Concept(
        "Marco Rubio",
        "person",
        ("Marco Rubio", "Rubio"),
        full=(r"\bMarco (?:Antonio )?Rubio\b", r"\b(?:Sen\.|Senator) Rubio\b"),
        short=(r"\bRubio\b",),
        lookalikes=(r"\b(?:Jeanette|Alberto|Elsa|Paulina|Carlos|Daniel|Antonio|Luis) Rubio\b",),
    ),
    Concept(
        "Mike Pence",
        "person",
        ("Mike Pence", "Pence", "Vice President Pence"),
        full=(
            r"\bMike Pence\b",
            r"\bMichael (?:Richard )?Pence\b",
            r"\b(?:Vice President|Vice-President|Gov\.|Governor|Mr\.) Pence\b",
        ),
        short=(r"\bPence\b",),
        lookalikes=(r"\b(?:Karen|Greg|Charlotte|Audrey|Ed|Edward) Pence\b",),
    ),
    Concept(
        "Robert Mueller",
        "person",
        ("Robert Mueller", "Mueller", "Bob Mueller"),
        full=(
            r"\bRobert (?:S\. |Swan )?Mueller(?: III)?\b",
            r"\bBob Mueller\b",
            r"\b(?:[Ss]pecial [Cc]ounsel|Mr\.|Director) Mueller\b",
        ),
        short=(r"\bMueller\b",),
        lookalikes=(
            # Kayla Mueller (a hostage of the Islamic State) and William Mueller (a murdered gun
            # dealer) are named, then called "Mueller", in stories of their own.
            r"\b(?:Ann|Frank|Lisa|Hannah|Nicole|Matthias|Gerd|Michael|Chris|Kurt|Thomas"
            r"|Stephanie|Melissa|Kayla|William) Mueller\b",
            r"\bMueller-[A-Z]\w+",
        ),
        note="Kayla Mueller, William Mueller and other Muellers are lookalikes",
    ),
    Concept(
        "Paul Ryan",
        "person",
        ("Paul Ryan", "Ryan", "Speaker Ryan"),
        full=(
            r"\bPaul (?:D\. |Davis )?Ryan\b",
            r"\b(?:Speaker|House Speaker|Chairman|Mr\.) Ryan\b",
        ),
        # Not "Ryan Zinke", "Ryan Costello": a first name.
        short=(r"\bRyan\b(?! [A-Z][a-z])",),
        lookalikes=(
            r"\b(?:Tim|April|Kathleen|Jim|George|Jack|Meg|Nolan|Rex|Debbie|Pat|Mike|Sean"
            r"|Kevin|Robert|John|Matt|Michael|Karen|Patrick|Thomas|Bill) Ryan\b",
            r"\bPrivate Ryan\b",
        ),
        short_definite=False,
        note="bare 'Ryan' is ambiguous; Tim Ryan, April Ryan, 'Ryan' as a first name are lookalikes",
        short_with_lookalike=Mention.NO,
    ),
    Concept(
        "Kim Jong Un",
        "person",
        ("Kim Jong Un", "Kim Jong-un"),
        full=(r"\bKim Jong[- ]?[Uu]n\b", r"\bChairman Kim\b"),
        short=(r"\bKim\b(?![- ][A-Z])",),
        lookalikes=(
            r"\bKim (?:Jong[- ]?[Ii]l|Il[- ]?[Ss]ung|Yo[- ]?[Jj]ong|Jong[- ]?[Nn]am"
            r"|Dae[- ]?[Jj]ung|Yong[- ]?[Cc]hol|Hyok[- ]?[Cc]hol|Kye[- ]?[Gg]wan)\b",
        ),
        short_definite=False,
        note="bare 'Kim' / 'Mr. Kim' is ambiguous",
        short_with_lookalike=Mention.NO,
    ),
    # --- parties -------------------------------------------------------------------------
    Concept(
        "Republican Party",
        "party",
        ("Republican Party", "Republicans", "GOP", "Republican"),
        full=(
            r"\bRepublican Party\b",
            r"\bRepublicans?\b",
            r"\bGOP\b",
            r"\bG\.O\.P\.",
            r"\bGrand Old Party\b",
        ),
        lookalikes=(
            r"\bIrish Republican Army\b",
            r"\bRepublican Guards?\b",
            r"\bRepublican People's Party\b",
            r"\bRepublican Party of Armenia\b",
            r"\bRepublican Turkish Party\b",
        ),
    ),
    Concept(
        "Democratic Party",
        "party",
        ("Democratic Party", "Democrats", "Democrat"),
        # Case-sensitive: "democratic values" is not the party.
        full=(r"\bDemocratic Party\b", r"\bDemocrats?\b", r"\bDemocratic\b", r"\bDems\b"),
        lookalikes=(
            r"\bDemocratic Republic\b(?: of (?:the )?Congo\b)?",
            r"\bDemocratic People's Republic\b",
            r"\b(?:Social|Christian|Liberal|Free|Sweden|Swedish) Democrat(?:s|ic)?\b",
            r"\bDemocratic (?:Unionist|Alliance|Forces|Front|Union|Progressive Party)\b",
            r"\bDemocratic Socialists?\b(?: of America\b)?",
            r"\bDemocratic Party of (?:Japan|Korea|Albania|Kosovo|Serbia|Hong Kong)\b",
        ),
    ),
    # --- government bodies ---------------------------------------------------------------
    Concept(
        "FBI",
        "agency",
        ("FBI", "Federal Bureau of Investigation", "the FBI"),
        full=(r"\bFBI\b", r"\bF\.B\.I\.", r"\bFederal Bureau of Investigation\b"),
    ),
    Concept(
        "Department of Justice",
        "agency",
        ("Justice Department", "Department of Justice", "DOJ"),
        full=(
            r"\bJustice Department\b",
            r"\bDepartment of Justice\b",
            r"\bDOJ\b",
            r"\bJustice Dept\.",
        ),
        lookalikes=(
            rf"\b(?:{US_STATES})(?:'s)? (?:Department of Justice|Justice Department|DOJ)\b",
            r"\b[Ss]tate(?:'s)? (?:Department of Justice|Justice Department|DOJ)\b",
        ),
        note="state justice departments are lookalikes",
    ),
    Concept(
        "EPA",
        "agency",
        ("EPA", "Environmental Protection Agency"),
        full=(r"\bEPA\b", r"\bE\.P\.A\.", r"\bEnvironmental Protection Agency\b"),
        lookalikes=(rf"\b(?:{US_STATES}) (?:EPA|Environmental Protection Agency)\b",),
    ),
    Concept(
        "CIA",
        "agency",
        ("CIA", "Central Intelligence Agency"),
        full=(r"\bCIA\b", r"\bC\.I\.A\.", r"\bCentral Intelligence Agency\b"),
    ),
    Concept(
        "Department of Homeland Security",
        "agency",
        ("Department of Homeland Security", "Homeland Security", "DHS"),
        full=(
            r"\bDepartment of Homeland Security\b",
            r"\bHomeland Security\b",
            r"\bDHS\b",
        ),
        lookalikes=(
            r"\b(?:House|Senate) Homeland Security\b(?: and Governmental Affairs)?"
            r"(?: Committee| Subcommittee)?",
            r"\bHomeland Security (?:and Governmental Affairs )?(?:Committee|Subcommittee)\b",
            r"\bCommittee on Homeland Security\b(?: and Governmental Affairs)?",
            rf"\b(?:{US_STATES}) (?:Department of Homeland Security|Homeland Security)\b",
        ),
        note="the congressional homeland security committees are lookalikes",
    ),
    Concept(
        "Supreme Court",
        "agency",
        ("Supreme Court", "U.S. Supreme Court", "SCOTUS"),
        full=(
            r"\b(?:U\.S\.|US|United States) Supreme Court\b",
            r"\bSupreme Court of the United States\b",
            r"\bSCOTUS\b",
        ),
        short=(r"\bSupreme Court\b",),
        lookalikes=(
            rf"\b(?:{US_STATES})(?:'s)? (?:State )?Supreme Court\b",
            r"\b[Ss]tate(?:'s)? Supreme Court\b",
            rf"\bSupreme Court of (?:{US_STATES})\b",
            r"\b(?:Israel|India|Pakistan|Brazil|Britain|Canada|Mexico|Venezuela|Spain|Germany"
            r"|Italy|Russia|Kenya|Egypt|Israeli|Indian|Pakistani|Brazilian|British|Canadian"
            r"|Mexican|Venezuelan|Spanish|German|Italian|Russian|Kenyan|Egyptian|UK|U\.K\.)"
            r"(?:'s)? Supreme Court\b",
        ),
        note="state and foreign supreme courts are lookalikes",
    ),
    Concept("White House", "agency", ("White House",), full=(r"\bWhite House\b",)),
    # --- organisations and laws ----------------------------------------------------------
    Concept(
        "National Rifle Association",
        "organization",
        ("NRA", "National Rifle Association"),
        full=(r"\bNRA\b", r"\bN\.R\.A\.", r"\bNational Rifle Association\b"),
    ),
    Concept(
        "Black Lives Matter",
        "organization",
        ("Black Lives Matter", "BLM"),
        full=(r"\bBlack Lives Matter\b", r"#BlackLivesMatter\b"),
        short=(r"\bBLM\b",),
        lookalikes=(r"\bBureau of Land Management\b",),
        note="BLM is also the Bureau of Land Management",
    ),
    Concept(
        "Affordable Care Act",
        "law",
        ("Affordable Care Act", "Obamacare", "ACA"),
        full=(r"\bAffordable Care Act\b", r"\bObama[Cc]are\b", r"\bACA\b"),
    ),
    # --- companies and platforms ---------------------------------------------------------
    Concept("Twitter", "company", ("Twitter",), full=(r"\bTwitter\b",)),
    Concept("Facebook", "company", ("Facebook",), full=(r"\bFacebook\b",)),
    Concept("Google", "company", ("Google",), full=(r"\bGoogle\b",)),
    Concept(
        "Amazon",
        "company",
        ("Amazon",),
        full=(
            r"\bAmazon\.com\b",
            r"\bAmazon (?:Inc|Web Services|Prime|founder|CEO|chief|Alexa|Echo|warehouses?"
            r"|employees|workers|Studios)\b",
        ),
        short=(r"\bAmazon\b",),
        lookalikes=(
            r"\bAmazon(?:ian)? (?:rain ?forests?|[Rr]iver|[Bb]asin|jungle|region|fires?)\b",
            # "the Amazon" ending its phrase ("from the Amazon to Siberian forests", "in the
            # Amazon had been falling"): a company takes no "the".
            r"\bthe Amazon\b(?=[.,;:)]| (?:in|of|and|is|was|has|had|have|are|were|to|from|for|"
            r"with|at|on|by|as|or)\b)",
        ),
        note="the Amazon rainforest is a lookalike",
    ),
    Concept(
        "Apple",
        "company",
        ("Apple",),
        full=(r"\bApple\b",),
        lookalikes=(
            r"\b(?:Big|Fiona|Michael)\W{1,3}Apple\b",
            r"\bApple (?:Daily|Valley)\b",
        ),
    ),
    # --- countries -----------------------------------------------------------------------
    Concept(
        "Russia",
        "country",
        ("Russia", "Russian Federation"),
        full=(r"\bRussia\b", r"\bRussian Federation\b"),
        short=(r"\bRussians?\b",),
        short_definite=False,
        note="the demonym 'Russian(s)' alone is ambiguous (as for every country)",
    ),
    Concept(
        "China",
        "country",
        ("China", "People's Republic of China", "PRC"),
        full=(r"\bChina\b", r"\bPRC\b"),
        short=(r"\bChinese\b",),
        lookalikes=(
            r"\b(?:South|East) China Sea\b",
            r"\bSouth China Morning Post\b",
            r"\b(?<!People's )Republic of China\b",
        ),
        short_definite=False,
    ),
    Concept(
        "Iran",
        "country",
        ("Iran",),
        full=(r"\bIran\b",),
        short=(r"\bIranians?\b",),
        short_definite=False,
    ),
    Concept(
        "North Korea",
        "country",
        ("North Korea", "DPRK"),
        full=(
            r"\bNorth Korea\b",
            r"\bDemocratic People's Republic of Korea\b",
            r"\bDPRK\b",
        ),
        short=(r"\bNorth Koreans?\b",),
        short_definite=False,
    ),
    Concept(
        "Mexico",
        "country",
        ("Mexico",),
        full=(r"\bMexico\b",),
        short=(r"\bMexicans?\b",),
        lookalikes=(
            r"\bNew Mexico\b",
            r"\bGulf of Mexico\b",
            r"\bMexico City\b",
            r"\bMexico, (?:Mo|Missouri|N\.Y)\b",
        ),
        short_definite=False,
        note="New Mexico, the Gulf of Mexico and Mexico City are lookalikes",
    ),
    Concept(
        "Syria",
        "country",
        ("Syria",),
        full=(r"\bSyria\b",),
        short=(r"\bSyrians?\b",),
        short_definite=False,
    ),
    Concept(
        "Israel",
        "country",
        ("Israel",),
        full=(r"\bIsrael\b",),
        short=(r"\bIsraelis?\b",),
        lookalikes=(
            r"\bSteve Israel\b",
            r"\b(?:Beth|Young|Tifereth) Israel\b",
        ),
        short_definite=False,
    ),
    Concept(
        "United States",
        "country",
        ("United States", "U.S.", "US", "America", "USA"),
        full=(
            r"\bUnited States\b",
            r"\bU\.S\.(?:A\.)?",
            r"\bUSA?\b",
            r"\bAmerica\b",
        ),
        short=(r"\bAmericans?\b",),
        lookalikes=(
            r"\b(?:Latin|South|Central|North) America\b",
            r"\b(?:Bank|Voice) of America\b",
            r"\b(?:Miss|Captain|Good Morning) America\b",
            r"\bUnited States of Mexico\b",
            US_IN_CAPS,
        ),
        short_definite=False,
        note="Latin/South/Central/North America are lookalikes",
    ),
    # --- international bodies ------------------------------------------------------------
    Concept(
        "United Nations",
        "international",
        ("United Nations", "UN", "U.N."),
        full=(r"\bUnited Nations\b", r"\bUN\b", r"\bU\.N\."),
    ),
    Concept(
        "NATO",
        "international",
        ("NATO", "North Atlantic Treaty Organization"),
        full=(r"\bNATO\b", r"\bNorth Atlantic Treaty Organi[sz]ation\b"),
    ),
    Concept(
        "European Union",
        "international",
        ("European Union", "EU", "E.U."),
        full=(r"\bEuropean Union\b", r"\bEU\b", r"\bE\.U\."),
    ),
    Concept(
        "Islamic State",
        "international",
        ("Islamic State", "ISIS", "ISIL"),
        full=(r"\bIslamic State\b", r"\bISIS\b", r"\bISIL\b", r"\bDaesh\b"),
    ),
)


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern. A leading \\b is checked here rather than by `re`: with it, `re`
    loses its literal-prefix search and runs about 20 times slower over an article."""

    regex: re.Pattern[str]
    word_start: bool

    @classmethod
    def of(cls, pattern: str) -> Pattern:
        if pattern.startswith(r"\b"):
            return cls(re.compile(pattern[2:]), word_start=True)
        return cls(re.compile(pattern), word_start=False)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        position = 0
        while (match := self.regex.search(text, position)) is not None:
            start, end = match.span()
            if (
                self.word_start
                and start > 0
                and (text[start - 1].isalnum() or text[start - 1] == "_")
            ):
                position = start + 1
                continue
            yield start, end
            position = max(end, start + 1)


@dataclass(frozen=True)
class Matcher:
    concept: Concept
    full: tuple[Pattern, ...]
    short: tuple[Pattern, ...]
    lookalikes: tuple[Pattern, ...]

    @classmethod
    def of(cls, concept: Concept) -> Matcher:
        def compile_all(patterns: Sequence[str]) -> tuple[Pattern, ...]:
            return tuple(Pattern.of(pattern) for pattern in patterns)

        return cls(
            concept,
            compile_all(concept.full),
            compile_all(concept.short),
            compile_all(concept.lookalikes),
        )

    def classify(self, text: str) -> Mention:
        full = [span for pattern in self.full for span in pattern.spans(text)]
        short = [span for pattern in self.short for span in pattern.spans(text)]
        if not full and not short:
            return Mention.NO  # most articles: no need to look for lookalikes
        masks = [span for pattern in self.lookalikes for span in pattern.spans(text)]

        def unmasked(spans: list[tuple[int, int]]) -> bool:
            return any(
                not any(left <= start and end <= right for left, right in masks)
                for start, end in spans
            )

        if unmasked(full):
            return Mention.YES
        if unmasked(short):
            if masks:
                return self.concept.short_with_lookalike
            return Mention.YES if self.concept.short_definite else Mention.AMBIGUOUS
        return Mention.NO


# --- the archive: set-up, server, HTTP ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _command(*args: str) -> list[str]:
    """`newsarchive ARGS...` as the installed entry point runs it."""
    return [sys.executable, "-m", "app.cli", *args]


@contextmanager
def _database(kind: str, root: Path) -> Iterator[str]:
    """The database URL: SQLite in `root` (kept with it), or a throwaway PostgreSQL cluster."""
    if kind == "postgres":
        from bench.ingest import postgres_database

        with postgres_database(root) as (url, _):
            yield url
        return
    yield f"sqlite:///{root / DATABASE_FILE}"


def run_import(
    env: dict[str, str], data: Path, processes: int, limit: int | None
) -> tuple[float, list[str]]:
    """`newsarchive import --format allsides --index`: its progress and summary go to stderr."""
    command = _command(
        "import", str(data), "--format=allsides", "--index", f"--processes={processes}"
    )
    if limit is not None:
        command.append(f"--limit={limit}")
    print("$ newsarchive " + " ".join(command[3:]), file=sys.stderr, flush=True)
    started = time.perf_counter()
    # Its progress bar, or where stderr is no terminal its progress log every 10 s (INFO).
    completed = subprocess.run(
        command,
        env={**env, "LOG_FORMAT": "console", "LOG_LEVEL": "INFO"},
        stdout=sys.stderr,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"newsarchive import failed with exit status {completed.returncode}")
    return time.perf_counter() - started, command[3:]


def create_key(env: dict[str, str]) -> str:
    """An admin key from `newsarchive keys create` (printed alone on its last line)."""
    name = f"entity-coherence-{int(time.time() * 1000)}"
    completed = subprocess.run(
        _command("keys", "create", f"--name={name}", "--scope=admin"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise SystemExit(f"newsarchive keys create failed:\n{completed.stderr}")
    return lines[-1].strip()


@contextmanager
def serving(env: dict[str, str], root: Path) -> Iterator[str]:
    """`newsarchive serve` on a free loopback port until /ready says all is indexed."""
    port = free_port()
    log_path = root / SERVE_LOG
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            _command("serve", "--host=127.0.0.1", f"--port={port}"),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    api = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        last = "no answer"
        while True:
            if process.poll() is not None:
                raise SystemExit(f"newsarchive serve exited ({process.returncode}); see {log_path}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the API was not ready in 180 s ({last}); see {log_path}")
            try:
                response = httpx.get(f"{api}/ready", timeout=5)
                body = response.json()
                index = body.get("index") or {}
                last = f"{response.status_code} {json.dumps(index)}"
                if response.status_code == 200 and index.get("pending", 1) == 0:
                    if index.get("failed"):
                        print(f"warning: {index['failed']} index updates failed", file=sys.stderr)
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        yield api
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Api:
    def __init__(self, base_url: str, key: str) -> None:
        self.client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=120
        )
        self.requests = 0

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.client.get(path, params=params)
        self.requests += 1
        if response.status_code >= 400:
            raise SystemExit(f"GET {response.url} -> {response.status_code}: {response.text}")
        body = response.json()
        assert isinstance(body, dict)
        return body

    def close(self) -> None:
        self.client.close()


@dataclass
class StoredArticle:
    id: int
    external_id: str | None
    title: str
    body: str
    duplicate_of: int | None
    entities: list[dict[str, Any]]


def stored_articles(api: Api) -> list[StoredArticle]:
    """Every stored article, from GET /articles a page at a time."""
    articles: list[StoredArticle] = []
    params: dict[str, Any] = {"limit": PAGE, "sort": "newest"}
    while True:
        page = api.get("/articles", params)
        for item in page["data"]:
            articles.append(
                StoredArticle(
                    id=item["id"],
                    external_id=item.get("external_id"),
                    title=item.get("title") or "",
                    body=item.get("body") or "",
                    duplicate_of=item.get("duplicate_of"),
                    entities=item.get("entities") or [],
                )
            )
        if not page.get("next"):
            return articles
        params["cursor"] = page["next"]


@dataclass
class SearchAnswer:
    name: str
    slugs: list[str]
    warnings: list[str]
    total: int
    ids: set[int]
    pages: int


def search_all(api: Api, name: str) -> SearchAnswer:
    """Every article of /search?entity=NAME, newest first, through cursor mode."""
    params: dict[str, Any] = {
        "entity": name,
        "sort": "newest",
        "per_page": PAGE,
        "cursor": "*",
        "fields": "id",
    }
    ids: set[int] = set()
    pages = 0
    while True:
        answer = api.get("/search", params)
        pages += 1
        ids.update(hit["id"] for hit in answer["hits"])
        query = answer["query"]
        if not answer.get("next"):
            return SearchAnswer(
                name=name,
                slugs=list(query["filters"].get("entity", [])),
                warnings=list(query.get("warnings", [])),
                total=answer["total"],
                ids=ids,
                pages=pages,
            )
        params["cursor"] = answer["next"]


def top_entities(api: Api, count: int) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    params: dict[str, Any] = {"sort": "articles", "limit": min(PAGE, count)}
    while len(entities) < count:
        page = api.get("/entities", params)
        entities += page["data"]
        if not page.get("next"):
            break
        params["cursor"] = page["next"]
    return entities[:count]


# --- ground truth from the JSON files -------------------------------------------------------


def read_corpus(directory: Path) -> dict[str, tuple[str, str]]:
    """AllSides ID -> (title, body) as the importer maps the file (app/ingestion/allsides.py)."""
    from app.ingestion.allsides import parse_allsides
    from app.ingestion.parsed import ParseError

    texts: dict[str, tuple[str, str]] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            parsed = parse_allsides(data)
        except (ValueError, ParseError):
            continue
        if parsed.external_id:
            texts[parsed.external_id] = (parsed.title, parsed.body)
    return texts


@dataclass
class Universe:
    """The articles search can return (stored, not a duplicate) and their ground-truth text."""

    articles: dict[int, StoredArticle]
    texts: dict[int, str]
    duplicates: int
    without_json: int
    text_differs: int


def build_universe(stored: list[StoredArticle], corpus: dict[str, tuple[str, str]]) -> Universe:
    articles: dict[int, StoredArticle] = {}
    texts: dict[int, str] = {}
    duplicates = without_json = differs = 0
    for article in stored:
        if article.duplicate_of is not None:
            duplicates += 1
            continue
        articles[article.id] = article
        parsed = corpus.get(article.external_id or "")
        if parsed is None:
            # Not from this corpus (or not readable here): judge the text as stored.
            without_json += 1
            title, body = article.title, article.body
        else:
            title, body = parsed
            differs += (title, body) != (article.title, article.body)
        texts[article.id] = f"{title}\n\n{body}"
    return Universe(articles, texts, duplicates, without_json, differs)


# --- measurement ----------------------------------------------------------------------------


@dataclass
class NameResult:
    name: str
    slugs: list[str]
    warnings: list[str]
    found: set[int]
    total: int
    hits: int = 0
    recall: float | None = None
    precision: float | None = None
    found_ambiguous: int = 0
    extra: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    outside: int = 0

    @property
    def passed(self) -> bool:
        return (self.recall is None or self.recall >= TARGET) and (
            self.precision is None or self.precision >= TARGET
        )


@dataclass
class ConceptResult:
    concept: Concept
    mentioning: set[int]
    ambiguous: set[int]
    names: list[NameResult]
    consistency: float

    @property
    def passed(self) -> bool:
        return all(name.passed for name in self.names) and self.consistency == 1.0

    @property
    def judged(self) -> bool:
        return bool(self.mentioning)


def measure(api: Api, universe: Universe, matcher: Matcher) -> ConceptResult:
    concept = matcher.concept
    mentioning: set[int] = set()
    ambiguous: set[int] = set()
    for article_id, text in universe.texts.items():
        mention = matcher.classify(text)
        if mention is Mention.YES:
            mentioning.add(article_id)
        elif mention is Mention.AMBIGUOUS:
            ambiguous.add(article_id)
    results: list[NameResult] = []
    for name in concept.names:
        answer = search_all(api, name)
        found = answer.ids
        outside = found - universe.texts.keys()
        judged = found - ambiguous - outside
        hits = found & mentioning
        result = NameResult(
            name=name,
            slugs=answer.slugs,
            warnings=answer.warnings,
            found=found,
            total=answer.total,
            hits=len(hits),
            recall=len(hits) / len(mentioning) if mentioning else None,
            precision=len(hits) / len(judged) if judged else None,
            found_ambiguous=len(found & ambiguous),
            extra=sorted(judged - mentioning),
            missed=sorted(mentioning - found),
            outside=len(outside),
        )
        results.append(result)
    sets = [result.found for result in results]
    union = set().union(*sets)
    both = set.intersection(*sets) if sets else set()
    consistency = len(both) / len(union) if union else 1.0
    return ConceptResult(concept, mentioning, ambiguous, results, consistency)


# --- report ---------------------------------------------------------------------------------


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _title(universe: Universe, article_id: int, width: int = 70) -> str:
    article = universe.articles.get(article_id)
    title = article.title if article else "?"
    title = title if len(title) <= width else title[: width - 1] + "…"
    external = (article.external_id or "-") if article else "-"
    return f"#{article_id} {external.removeprefix('allsides:')} {title!r}"


def _related(universe: Universe, article_id: int, concept: Concept) -> str:
    """The article's entities that share a word with the concept's names: what it got instead."""
    words = {
        word.casefold().strip(".")
        for name in (concept.label, *concept.names)
        for word in name.split()
        if len(word) > 2 or word.isupper()
    }
    article = universe.articles.get(article_id)
    related = [
        f"{entity['slug']}({entity['type']})"
        for entity in (article.entities if article else [])
        if words & {part.strip(".") for part in entity["name"].casefold().split()}
    ]
    return ", ".join(related[:5]) or "none related"


def print_table(results: list[ConceptResult], universe: Universe, examples: int) -> None:
    ordered = sorted(results, key=lambda r: r.concept.label.casefold())

    def slug_of(name: NameResult) -> str:
        return ",".join(name.slugs) + (" (unknown)" if name.warnings else "")

    concept_width = max(len("concept"), *(len(r.concept.label) for r in results))
    name_width = max(len("name"), *(len(n.name) for r in results for n in r.names))
    slug_width = max(len("slug"), *(len(slug_of(n)) for r in results for n in r.names))
    header = (
        f"{'concept':<{concept_width}} {'name':<{name_width}} {'slug':<{slug_width}} "
        f"{'mention':>7} {'ambig':>5} {'found':>5} {'hit':>5} {'recall':>6} {'prec':>6} "
        f"{'extra':>5}"
    )
    print(header)
    print("-" * len(header))
    for result in ordered:
        for number, name in enumerate(result.names):
            label = result.concept.label if number == 0 else ""
            mark = "" if name.passed else " *"
            print(
                f"{label:<{concept_width}} {name.name:<{name_width}} "
                f"{slug_of(name):<{slug_width}} {len(result.mentioning):>7} "
                f"{len(result.ambiguous):>5} {len(name.found):>5} {name.hits:>5} "
                f"{_share(name.recall):>6} {_share(name.precision):>6} {len(name.extra):>5}{mark}"
            )
        state = "ok" if result.passed else ("no mentions" if not result.judged else "FAIL")
        print(f"{'':<{concept_width}} consistency {result.consistency:.3f}  [{state}]")
    print()
    print("Examples (found but matching no pattern: extra; mentioning but not found: missed):")
    for result in ordered:
        lines: list[str] = []
        for name in result.names:
            for warning in name.warnings:
                lines.append(f"  {name.name!r}: warning: {warning}")
            if name.total != len(name.found):
                lines.append(f"  {name.name!r}: total {name.total}, {len(name.found)} ids walked")
            if name.outside:
                lines.append(f"  {name.name!r}: {name.outside} found outside the judged set")
            if name.passed:
                continue
            for article_id in name.extra[:examples]:
                lines.append(f"  {name.name!r} extra  {_title(universe, article_id)}")
            for article_id in name.missed[:examples]:
                lines.append(
                    f"  {name.name!r} missed {_title(universe, article_id)} "
                    f"[{_related(universe, article_id, result.concept)}]"
                )
        if lines:
            note = f" ({result.concept.note})" if result.concept.note else ""
            print(f"{result.concept.label}{note}:")
            print("\n".join(lines))


# --- entity suspicion flags -----------------------------------------------------------------

#: Well-known organisations and platforms a single-word entity should never be a person (or
#: place) as.
KNOWN_ORGANIZATIONS = frozenset(
    name.casefold()
    for name in (
        "Twitter", "Facebook", "Google", "Amazon", "Apple", "Microsoft", "Instagram", "YouTube",
        "Netflix", "Uber", "Tesla", "Walmart", "Boeing", "Reuters", "CNN", "Fox", "MSNBC",
        "NBC", "CBS", "ABC", "NPR", "Politico", "Breitbart", "Axios", "Hezbollah", "Hamas",
        "Taliban", "Pentagon", "Kremlin", "Congress", "Senate", "NATO", "FBI", "CIA", "EPA",
        "DHS", "DOJ", "ICE", "NRA", "GOP", "ISIS", "ISIL", "Medicare", "Medicaid", "Treasury",
        "Obamacare", "WikiLeaks", "Snapchat", "WhatsApp", "TikTok", "Huawei", "Exxon",
        "ExxonMobil", "Starbucks", "Disney", "Verizon", "Comcast", "Pfizer", "Moderna",
    )
)  # fmt: skip
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_STOPWORDS = frozenset({"of", "the", "and", "for", "on", "in", "de", "&"})


def _words(name: str) -> list[str]:
    return [word for word in name.split() if word.casefold() not in _SUFFIXES]


def _acronym(name: str) -> str | None:
    """The letters of a short all-caps name ("U.N." -> "UN"), else None."""
    letters = name.replace(".", "").replace("&", "")
    if 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper():
        return letters
    return None


def _initials(name: str) -> set[str]:
    words = [word for word in re.split(r"[\s-]+", name) if word]
    every = "".join(word[0] for word in words).upper()
    content = "".join(word[0] for word in words if word.casefold() not in _STOPWORDS).upper()
    return {every, content}


def _stem(slug: str) -> str:
    stem = slug.removeprefix("the-").removesuffix("-party")
    for ending in ("s", "ic"):
        stem = stem.removesuffix(ending)
    return stem


def suspicion_flags(entities: list[dict[str, Any]]) -> dict[str, list[str]]:
    flags: dict[str, list[str]] = {
        "single word = first/last word of a person": [],
        "person with the first and last words of another person": [],
        "acronym = initials": [],
        "slugs differ by plural/-ic/-party/hyphens": [],
        "known organisation typed otherwise": [],
        "organisation named like a person's surname": [],
    }

    def show(entity: dict[str, Any]) -> str:
        return f"{entity['slug']} ({entity['name']!r}, {entity['type']}, {entity['article_count']})"

    people = [e for e in entities if e["type"] == "person" and len(_words(e["name"])) >= 2]
    singles = [e for e in entities if len(_words(e["name"])) == 1]
    for single in singles:
        word = _words(single["name"])[0].casefold()
        for person in people:
            parts = [part.casefold() for part in _words(person["name"])]
            where = "last" if parts[-1] == word else "first" if parts[0] == word else None
            if where and single["slug"] != person["slug"]:
                flags["single word = first/last word of a person"].append(
                    f"{show(single)} = {where} word of {show(person)}"
                )
    for number, person in enumerate(people):
        words = [word.casefold() for word in _words(person["name"])]
        for other in people[number + 1 :]:
            others = [word.casefold() for word in _words(other["name"])]
            if (words[0], words[-1]) == (others[0], others[-1]) and words != others:
                flags["person with the first and last words of another person"].append(
                    f"{show(person)} ~ {show(other)}"
                )
    for short in entities:
        letters = _acronym(short["name"])
        if letters is None:
            continue
        for long in entities:
            if long is short or len(long["name"].split()) < 2:
                continue
            if letters in _initials(long["name"]):
                flags["acronym = initials"].append(f"{show(short)} ~ {show(long)}")
    for number, first in enumerate(entities):
        for second in entities[number + 1 :]:
            a, b = first["slug"], second["slug"]
            if _stem(a) == _stem(b) or a.replace("-", "") == b.replace("-", ""):
                flags["slugs differ by plural/-ic/-party/hyphens"].append(
                    f"{show(first)} ~ {show(second)}"
                )
    surnames = {_words(person["name"])[-1].casefold() for person in people}
    surnames |= {
        _words(concept.label)[-1].casefold() for concept in CONCEPTS if concept.kind == "person"
    }
    for single in singles:
        word = _words(single["name"])[0].casefold()
        if word in KNOWN_ORGANIZATIONS and single["type"] not in ("organization", "product"):
            flags["known organisation typed otherwise"].append(show(single))
        if single["type"] == "organization" and word in surnames:
            flags["organisation named like a person's surname"].append(show(single))
    return flags


def write_entities(path: Path, entities: list[dict[str, Any]]) -> None:
    lines = ["rank\tslug\tname\ttype\tarticle_count"]
    for rank, entity in enumerate(entities, 1):
        lines.append(
            f"{rank}\t{entity['slug']}\t{entity['name']}\t{entity['type']}\t"
            f"{entity['article_count']}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the run --------------------------------------------------------------------------------


@dataclass
class Setup:
    root: Path
    database: str
    imported: bool
    import_seconds: float | None = None
    import_command: list[str] = field(default_factory=list)
    ready_seconds: float = 0.0


def _environment(root: Path, database_url: str, meili_url: str, meili_key: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATA_DIR": str(root),
        "DATABASE_URL": database_url,
        "MEILI_URL": meili_url,
        "MEILI_MASTER_KEY": meili_key,
        "LOG_LEVEL": "WARNING",
        # This run's own server: reads are not rationed (one search per page of results).
        "RATE_LIMIT_READS_PER_MINUTE": "0",
        # Entity search uses no vectors; embedding 2,300 articles after the import would add
        # over half an hour on a shared two-core machine.
        "EMBEDDINGS_ENABLED": "false",
    }


def run(args: argparse.Namespace) -> int:
    from app.search.meili_process import MeiliProcess
    from bench.ingest import MEILI_LIMITS

    started = time.perf_counter()
    if args.reuse is not None:
        root = args.reuse.resolve()
        if not (root / DATABASE_FILE).is_file() or not (root / MEILI_DIR).is_dir():
            raise SystemExit(f"{root} holds no {DATABASE_FILE} and {MEILI_DIR}/ from a --keep run")
        setup = Setup(root=root, database="sqlite", imported=False)
    else:
        root = Path(tempfile.mkdtemp(prefix="newsarchive-coherence-"))
        setup = Setup(root=root, database=args.database, imported=True)
    print(f"data dir: {root}", file=sys.stderr, flush=True)
    keep = args.keep or args.reuse is not None
    try:
        with (
            _database(setup.database, root) as database_url,
            MeiliProcess(root / MEILI_DIR, extra_args=MEILI_LIMITS) as meili,
        ):
            env = _environment(root, database_url, meili.url, meili.master_key)
            if setup.imported:
                setup.import_seconds, setup.import_command = run_import(
                    env, args.data, args.processes, args.limit
                )
            key = create_key(env)
            before_serve = time.perf_counter()
            with serving(env, root) as base_url:
                setup.ready_seconds = time.perf_counter() - before_serve
                api = Api(base_url, key)
                try:
                    code = measure_all(api, args, setup, started)
                finally:
                    api.close()
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    if keep and args.reuse is None:
        print(
            f"\nData kept in {root}; searches only: "
            f".venv/bin/python -m bench.entity_coherence --reuse {root}",
            file=sys.stderr,
        )
    return code


def measure_all(api: Api, args: argparse.Namespace, setup: Setup, started: float) -> int:
    stored = stored_articles(api)
    corpus = read_corpus(args.data)
    universe = build_universe(stored, corpus)
    indexed = api.get("/search", {"per_page": 1, "include_duplicates": "true"})["total"]
    print(
        f"{len(stored)} articles stored ({universe.duplicates} duplicates hidden from search, "
        f"left out), {indexed} in the index; {len(universe.texts)} judged "
        f"({universe.without_json} without a JSON file here, judged on the stored text; "
        f"{universe.text_differs} whose stored text differs from the importer's mapping)",
        file=sys.stderr,
    )
    search_started = time.perf_counter()
    results: list[ConceptResult] = []
    for matcher in (Matcher.of(concept) for concept in CONCEPTS):
        result = measure(api, universe, matcher)
        results.append(result)
        figures = " ".join(
            f"{name.name!r}={len(name.found)}({_share(name.recall)}/{_share(name.precision)})"
            for name in result.names
        )
        print(
            f"  {matcher.concept.label}: {len(result.mentioning)} mention, "
            f"{len(result.ambiguous)} ambiguous; found {figures}; "
            f"consistency {result.consistency:.3f}",
            file=sys.stderr,
            flush=True,
        )
    search_seconds = time.perf_counter() - search_started
    entities = top_entities(api, TOP_ENTITIES)
    flags = suspicion_flags(entities)

    print()
    print(
        f"Entity search coherence on AllSides: {len(universe.texts)} articles judged, "
        f"{len(CONCEPTS)} concepts, {sum(len(c.names) for c in CONCEPTS)} names; target: "
        f"recall and precision >= {TARGET} for every name, consistency 1.0 (* = a name below)"
    )
    print()
    print_table(results, universe, args.examples)
    judged = [result for result in results if result.judged]
    passed = [result for result in judged if result.passed]
    name_count = sum(len(result.names) for result in judged)
    names_passed = sum(name.passed for result in judged for name in result.names)
    consistent = sum(result.consistency == 1.0 for result in judged)
    print()
    print(
        f"SUMMARY: {len(passed)}/{len(judged)} concepts meet recall>={TARGET} and "
        f"precision>={TARGET} for every name and consistency==1.0 "
        f"({names_passed}/{name_count} names meet both; {consistent}/{len(judged)} concepts "
        f"consistent; {len(results) - len(judged)} concepts without mentions not judged)"
    )
    if failing := [result.concept.label for result in judged if not result.passed]:
        print(f"  failing: {', '.join(failing)}")

    print()
    print(f"Top {len(entities)} entities by articles (first {args.print_entities}):")
    for rank, entity in enumerate(entities[: args.print_entities], 1):
        print(
            f"  {rank:>3} {entity['article_count']:>5} {entity['type']:<12} {entity['slug']}"
            f" ({entity['name']})"
        )
    print()
    print("Suspicion flags among them (heuristics, for review):")
    for kind, items in flags.items():
        print(f"  {kind}: {len(items)}")
        for item in items:
            print(f"    {item}")
    if args.entities_out is not None:
        write_entities(args.entities_out, entities)
        print(f"\n{len(entities)} entities written to {args.entities_out}")

    total_seconds = time.perf_counter() - started
    print()
    print(
        f"Timings: import {_seconds(setup.import_seconds)}, server ready "
        f"{setup.ready_seconds:.1f} s, searches {search_seconds:.1f} s "
        f"({api.requests} requests in all), whole run {total_seconds:.1f} s"
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                _as_json(results, universe, entities, flags, setup, search_seconds, total_seconds),
                indent=2,
            )
            + "\n"
        )
    return 0


def _seconds(value: float | None) -> str:
    return "skipped (--reuse)" if value is None else f"{value:.1f} s"


def _as_json(
    results: list[ConceptResult],
    universe: Universe,
    entities: list[dict[str, Any]],
    flags: dict[str, list[str]],
    setup: Setup,
    search_seconds: float,
    total_seconds: float,
) -> dict[str, Any]:
    def example(article_id: int) -> dict[str, Any]:
        article = universe.articles.get(article_id)
        return {
            "id": article_id,
            "external_id": article.external_id if article else None,
            "title": article.title if article else None,
        }

    judged = [result for result in results if result.judged]
    return {
        "data_dir": str(setup.root),
        "database": setup.database,
        "imported": setup.imported,
        "import_command": setup.import_command,
        "articles_judged": len(universe.texts),
        "duplicates_left_out": universe.duplicates,
        "target": TARGET,
        "concepts": [
            {
                "concept": result.concept.label,
                "kind": result.concept.kind,
                "note": result.concept.note,
                "mentioning": len(result.mentioning),
                "ambiguous": len(result.ambiguous),
                "consistency": round(result.consistency, 4),
                "passed": result.passed if result.judged else None,
                "names": [
                    {
                        "name": name.name,
                        "slugs": name.slugs,
                        "warnings": name.warnings,
                        "found": len(name.found),
                        "total": name.total,
                        "hits": name.hits,
                        "recall": name.recall,
                        "precision": name.precision,
                        "found_ambiguous": name.found_ambiguous,
                        "extra": len(name.extra),
                        "missed": len(name.missed),
                        "outside": name.outside,
                        "extra_examples": [example(i) for i in name.extra[:EXAMPLES]],
                        "missed_examples": [example(i) for i in name.missed[:EXAMPLES]],
                    }
                    for name in result.names
                ],
            }
            for result in results
        ],
        "summary": {
            "concepts_judged": len(judged),
            "concepts_passed": sum(result.passed for result in judged),
            "names_judged": sum(len(result.names) for result in judged),
            "names_passed": sum(name.passed for result in judged for name in result.names),
            "concepts_consistent": sum(result.consistency == 1.0 for result in judged),
        },
        "top_entities": entities,
        "flags": flags,
        "timings": {
            "import_seconds": setup.import_seconds,
            "ready_seconds": round(setup.ready_seconds, 2),
            "search_seconds": round(search_seconds, 2),
            "total_seconds": round(total_seconds, 2),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="AllSides jsons/ folder")
    parser.add_argument("--limit", type=int, default=None, help="import only N articles")
    parser.add_argument(
        "--processes", type=int, default=min(2, os.cpu_count() or 1), help="import's --processes"
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--reuse", type=Path, default=None, help="serve a data dir kept by --keep; no import"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir for --reuse")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    parser.add_argument(
        "--entities-out", type=Path, default=None, help="write the top entities here (TSV)"
    )
    parser.add_argument("--print-entities", type=int, default=50, help="top entities to print")
    parser.add_argument("--examples", type=int, default=EXAMPLES, help="examples per failing name")
    args = parser.parse_args(argv)
    if not args.data.is_dir() or not any(args.data.glob("*.json")):
        print(
            f"AllSides JSON files not found in {args.data}; nothing to measure "
            "(the corpus ships beside the repository, not in it).",
            file=sys.stderr,
        )
        return 0
    if args.database == "postgres" and (args.keep or args.reuse is not None):
        parser.error(
            "--keep and --reuse work with SQLite only (the PostgreSQL cluster is thrown away)"
        )
    if args.reuse is not None and args.limit is not None:
        print("--limit is ignored with --reuse (nothing is imported)", file=sys.stderr)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
