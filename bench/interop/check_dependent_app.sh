#!/usr/bin/env bash
# A throwaway Swift app that depends on Strawberry by version, as an app author would:
# `.package(url: …, from: "0.1.0")` on a tagged clone of this checkout, the Model and Reasoning
# products, then text generated through the public API (a random `tiny` model: the point is that
# it builds, links and runs). Builds the whole package again (a few minutes).
#   bench/interop/check_dependent_app.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/../.."
configuration=${1:-debug}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/strawberry"
git -C "$work/strawberry" tag 0.1.0
mkdir -p "$work/app/Sources/app"
cat > "$work/app/Package.swift" <<SWIFT
// swift-tools-version: 6.2
import PackageDescription
let package = Package(
    name: "app",
    dependencies: [.package(url: "file://$work/strawberry", from: "0.1.0")],
    targets: [.executableTarget(name: "app", dependencies: [
        .product(name: "Model", package: "strawberry"), .product(name: "Reasoning", package: "strawberry")])]
)
SWIFT
cat > "$work/app/Sources/app/main.swift" <<'SWIFT'
import Model
import Reasoning

let model = try Transformer(config: try ModelConfig.preset("tiny"), seed: 1)
let engine = Engine(model: model, slots: 2)
let request = GenerationRequest(user: "Use 3 5 7 to make 22", budget: Budget(maxThinking: 16, maxAnswer: 8))
let result = try engine.generate([request])[0]
print("thinking tokens: \(result.thinkingTokens), answer: \(result.answerText.debugDescription)")
SWIFT
(cd "$work/app" && swift build -c "$configuration" 2>&1 | tail -3 && swift run -c "$configuration" app)
echo "OK: an app depending on Strawberry 0.1.0 built ($configuration) and generated text"
