#!/usr/bin/env bash
# Checks the package's module boundaries (docs/ARCHITECTURE.md) from `swift package describe`:
# the auditor (`osg-audit`, and the log, transparency and core modules it needs) builds without
# the database drivers or the HTTP server, and the pure market tests without the CLI.
# Exit 0 when every boundary holds; 1 naming each module that crosses one.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package describe --type json 2>/dev/null | python3 -c '
import json, sys
targets = {t["name"]: t for t in json.load(sys.stdin)["targets"]}

def closure(name):
    """Every target and external product `name` depends on, directly or through other targets."""
    seen, products, stack = set(), set(), [name]
    while stack:
        target = targets[stack.pop()]
        products.update(target.get("product_dependencies", []))
        for dependency in target.get("target_dependencies", []):
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    return seen, products

heavy_targets = {"OSGStore", "OSGServer", "OSGCommands"}
heavy_products = {"GRDB", "PostgresNIO", "Hummingbird", "HummingbirdCore", "HummingbirdTLS", "HummingbirdTesting"}
rules = [(name, heavy_targets, heavy_products) for name in ("osg-audit", "OSGAuditTool", "OSGTransparency", "OSGLog", "OSGCore", "OSGRequestBodies")]
rules.append(("OSGMarketTests", {"OSGCommands", "OSGServer", "OSGStore"}, heavy_products))
failures = 0
for name, forbidden_targets, forbidden_products in rules:
    seen, products = closure(name)
    crossing = sorted((seen & forbidden_targets) | (products & forbidden_products))
    if crossing:
        failures += 1
        print(name + " depends on " + ", ".join(crossing) + ": it must build without them")
    else:
        print("ok: " + name + " builds without " + ", ".join(sorted(forbidden_targets | {"GRDB", "PostgresNIO", "Hummingbird"})))
sys.exit(1 if failures else 0)
'
