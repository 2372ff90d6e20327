"""Write a node config padded to about N bytes with a long, valid, lint-clean list."""
import sys

path, size = sys.argv[1], int(sys.argv[2])
head = open("bench/config-30-lines.yaml").read()
with open(path, "w") as f:
    f.write(head)
    f.write("model_catalog:\n")
    written, i = len(head), 0
    while written < size:
        entry = (
            f"  - name: model-{i:07d}\n"
            f"    version: \"{i % 7}.{i % 11}.{i % 13}\"\n"
            f"    sha256: {i:064x}\n"
            f"    shards: [{i % 3}, {i % 5}, {i % 7}]\n"
        )
        f.write(entry)
        written += len(entry)
        i += 1
