"""Generate sample inference payloads for MIMS load testing."""

import argparse
import json
import os
import tarfile


def create_payloads(model_dir, n):
    with tarfile.open(os.path.join(model_dir, "model.tar.gz")) as tar:
        names = tar.getnames()
    return [{"instance": i, "artifacts": names} for i in range(n)]


def main(input_paths, output_paths, environ_vars, job_args):
    n = int(environ_vars.get("NUM_PAYLOADS", "3"))
    payloads = create_payloads(input_paths["model_input"], n)
    out = output_paths["output_dir"]
    os.makedirs(out, exist_ok=True)
    for i, p in enumerate(payloads):
        with open(os.path.join(out, f"payload_{i}.json"), "w") as fh:
            json.dump(p, fh)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    args = parser.parse_args()
    main({"model_input": "/opt/ml/processing/input/model"}, {"output_dir": "/opt/ml/processing/output"},
         dict(os.environ), args)
