"""ANNarchy's Structural plasticity notebook, its cells as written, with
counts of the synapses inside and between the two halves of the population
at a few trials. One seed per process: `python structural_plasticity.py`
runs seeds 1-3 each in a subprocess and writes structural_plasticity.json."""
import json
import subprocess
import sys

import numpy as np


def run(seed):
    import ANNarchy as ann
    ann.clear()
    ann.setup(structural_plasticity=True, seed=seed)
    LeakyIntegratorNeuron = ann.Neuron(
        parameters="""
            tau = 10.0 : population
            baseline = 0.0 
        """,
        equations = """
            tau * dr/dt + r = baseline + sum(exc) : min=0.0
        """
    )
    pop = ann.Population(100, LeakyIntegratorNeuron)
    StructuralPlasticSynapse = ann.Synapse(
        parameters = " T = 10000 : int, projection ",
        equations = """
            age = if pre.r * post.r > 1.0 :
                    0
                  else :
                    age + 1 : init = 0, int""",
        pruning = "age > T : proba = 0.2",
        creating = "pre.r * post.r > 1.0 : proba = 0.1, w = 0.01",
    )
    proj = ann.Projection(pop, pop, 'exc', StructuralPlasticSynapse)
    proj.connect_fixed_probability(weights = 0.01, probability=0.1)
    ann.compile()
    proj.start_creating(period=100.0)
    proj.start_pruning(period=100.0)

    def counts():
        m = np.array(proj.connectivity_matrix()) > 0  # (post, pre)
        within = m[:50, :50].sum() + m[50:, 50:].sum()
        return {"total": int(m.sum()), "within": int(within), "between": int(m.sum() - within),
                "mean_r_max": float(np.max(pop.r))}

    out = {"seed": seed, "initial": counts(), "trials": {}}
    num_trials = 100
    for trial in range(num_trials):
        pop[:50].baseline = 1.0
        ann.simulate(1000.)
        pop.baseline = 0.0
        ann.simulate(100.)
        pop[50:].baseline = 1.0
        ann.simulate(1000.)
        pop.baseline = 0.0
        ann.simulate(100.)
        if trial + 1 in (1, 5, 10, 25, 50, 100):
            out["trials"][trial + 1] = counts()
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(run(int(sys.argv[1]))))
    else:
        runs = []
        for seed in (1, 2, 3):
            r = subprocess.run([sys.executable, __file__, str(seed)], capture_output=True, text=True, check=True)
            runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
        json.dump({"runs": runs}, open("structural_plasticity.json", "w"), indent=1)
        for r in runs:
            print(r["seed"], r["initial"], r["trials"]["100"])
