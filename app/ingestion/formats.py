"""Input formats of `newsarchive import`, outside the importer: the command line names them."""

import enum


class Format(enum.StrEnum):
    auto = "auto"
    reuters = "reuters"
    allsides = "allsides"
    bbc = "bbc"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    txt = "txt"
    html = "html"
