"""Checks the SageMaker container contract as a training script sees it; exits non-zero
with the first difference in output/failure (as SageMaker scripts report failures)."""
import json
import os
import sys


def check():
    ml = os.path.dirname(os.environ["SM_MODEL_DIR"])
    expect = {
        "SM_MODEL_DIR": ml + "/model",
        "SM_CHANNEL_TRAINING": ml + "/input/data/training",
        "SM_CHANNEL_TEST": ml + "/input/data/test",
        "SM_OUTPUT_DATA_DIR": ml + "/output/data",
        "SM_CURRENT_HOST": "algo-2",
        "TRAINING_JOB_NAME": "contract-job",
        "SM_HP_BATCH-SIZE": "32",
        "SM_HP_OPTIMIZER": "adam",
        "SM_NUM_GPUS": "0",
    }
    for k, v in expect.items():
        assert os.environ.get(k) == v, "%s=%r, expected %r" % (k, os.environ.get(k), v)
    assert json.loads(os.environ["SM_CHANNELS"]) == ["training", "test"], os.environ["SM_CHANNELS"]
    assert json.loads(os.environ["SM_HOSTS"]) == ["algo-1", "algo-2"]
    assert int(os.environ["SM_NUM_CPUS"]) >= 1
    hps = json.loads(os.environ["SM_HPS"])
    assert hps == {"batch-size": 32, "optimizer": "adam", "lr": 0.1}, hps
    config = os.path.join(ml, "input", "config")
    with open(os.path.join(config, "hyperparameters.json")) as f:
        assert json.load(f) == {"batch-size": "32", "optimizer": "adam", "lr": "0.1"}
    with open(os.path.join(config, "inputdataconfig.json")) as f:
        data = json.load(f)
    assert data["training"]["TrainingInputMode"] == "File", data
    assert data["test"]["TrainingInputMode"] == "File", data
    assert data["training"]["S3DistributionType"] == "FullyReplicated", data
    with open(os.path.join(config, "resourceconfig.json")) as f:
        resource = json.load(f)
    assert resource["current_host"] == "algo-2" and resource["hosts"] == ["algo-1", "algo-2"]
    assert json.loads(os.environ["SM_INPUT_DATA_CONFIG"]) == data
    assert sorted(os.listdir(os.environ["SM_CHANNEL_TEST"])) == ["t.txt"]
    for d in ("model", "output/data", "checkpoints"):
        assert os.path.isdir(os.path.join(ml, d)), d


try:
    check()
except AssertionError as e:
    ml = os.path.dirname(os.environ.get("SM_MODEL_DIR", "/nonexistent/x"))
    with open(os.path.join(ml, "output", "failure"), "w") as f:
        f.write("contract: %s" % e)
    sys.exit(3)
