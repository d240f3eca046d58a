#!/usr/bin/env python3
"""Validates XLIFF files against the OASIS schemas: XLIFF 1.2 strict, or XLIFF 2.0 core.

Usage: xliff_validate.py SCHEMA_DIR FILE...

SCHEMA_DIR holds xliff-core-1.2-strict.xsd, xliff-core-2.0.xsd and xml.xsd, as Debian's
php-symfony-translation package ships them (Resources/schemas); `.ci/run` extracts that package
without installing PHP. The schemas' imports of the W3C xml.xsd point at the web or at a
folder that is not there: they are pointed at the local copy, so validation needs no network.
Exit 0 when every file is valid; 1 with the errors (line: message) otherwise.
"""
import os
import sys
import tempfile

from lxml import etree

XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF20 = "urn:oasis:names:tc:xliff:document:2.0"
SCHEMAS = {XLIFF12: "xliff-core-1.2-strict.xsd", XLIFF20: "xliff-core-2.0.xsd"}


def schema(schema_dir, name, work):
    xml_xsd = os.path.join(schema_dir, "xml.xsd")
    with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
        text = f.read()
    for location in ("http://www.w3.org/2001/xml.xsd", "informativeCopiesOf3rdPartySchemas/w3c/xml.xsd"):
        text = text.replace('schemaLocation="%s"' % location, 'schemaLocation="%s"' % xml_xsd)
    local = os.path.join(work, name)
    with open(local, "w", encoding="utf-8") as f:
        f.write(text)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(local, parser))


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema_dir, files = sys.argv[1], sys.argv[2:]
    failed = False
    with tempfile.TemporaryDirectory() as work:
        loaded = {}
        for path in files:
            doc = etree.parse(path, etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True))
            ns = etree.QName(doc.getroot()).namespace
            if ns not in SCHEMAS:
                print("%s: not XLIFF 1.2 or 2.0 (root namespace %r)" % (path, ns))
                failed = True
                continue
            if ns not in loaded:
                loaded[ns] = schema(schema_dir, SCHEMAS[ns], work)
            xsd = loaded[ns]
            if not xsd.validate(doc):
                failed = True
                for error in xsd.error_log:
                    print("%s:%d: %s" % (path, error.line, error.message))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
