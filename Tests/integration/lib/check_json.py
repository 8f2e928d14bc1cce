#!/usr/bin/python3
"""JSON checks on pinholectl output, read from stdin.

  check_json.py find KEY=VALUE...    `list --json`: exit 0 if one entry matches all
  check_json.py absent KEY=VALUE...  `list --json`: exit 0 if no entry matches all
  check_json.py count                `list --json`: print the number of entries
  check_json.py get KEY              any object: print the value at KEY

KEY is a dotted path (`session.client`, `refused.bad_address`). Values compare as
text, IP addresses in their canonical form. On a failed check the reason, with what
was found, goes to stdout so the test can put it into its failure message.
"""
import ipaddress
import json
import sys


def lookup(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            raise KeyError(path)
        obj = obj[part]
    return obj


def canonical(value):
    text = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def matches(entry, criteria):
    for key, expected in criteria:
        try:
            if canonical(lookup(entry, key)) != canonical(expected):
                return False
        except KeyError:
            return False
    return True


def summary(entry):
    session = entry.get("session") or {}
    return "%s %s %s->%s:%s (session %s:%s->%s:%s, expires_in %s)" % (
        entry.get("mode"), entry.get("family"), entry.get("initiator"),
        entry.get("responder"), entry.get("port"), session.get("client"),
        session.get("client_port"), session.get("server"),
        session.get("server_port"), entry.get("expires_in"))


def describe(entries):
    if not entries:
        return "the list is empty"
    return "the list has: " + "; ".join(summary(e) for e in entries)


def parse_criteria(words):
    criteria = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            sys.exit("bad criterion %r, expected KEY=VALUE" % word)
        criteria.append((key, value))
    return criteria


def load_list(text):
    entries = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("expected a JSON array, got %s" % type(entries).__name__)
    return entries


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    verb, rest = argv[1], argv[2:]
    text = sys.stdin.read()
    try:
        if verb in ("find", "absent"):
            entries = load_list(text)
            criteria = parse_criteria(rest)
            found = [e for e in entries if matches(e, criteria)]
            wanted = " ".join("%s=%s" % c for c in criteria)
            if verb == "find" and not found:
                print("no entry with %s; %s" % (wanted, describe(entries)))
                return 1
            if verb == "absent" and found:
                print("still an entry with %s; %s" % (wanted, describe(found)))
                return 1
            return 0
        if verb == "count":
            print(len(load_list(text)))
            return 0
        if verb == "get" and len(rest) == 1:
            print(canonical(lookup(json.loads(text), rest[0])))
            return 0
    except (ValueError, KeyError) as error:
        print("cannot check %r: %s (input: %s)" % (verb, error, text.strip()[:300]))
        return 2
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
