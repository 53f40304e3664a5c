# ANNarchy 5.0.4.1 runs of the Miconi notebook (reward-modulated learning
# in a recurrent rate network, Miconi 2017), its cells as written, for
# TRIALS (200) trials of the four DNMS conditions instead of the notebook's
# 10 000: the mean reward per condition (R_mean) after them, per seed.
# ANNarchy's global network compiles once a process: each seed runs in a
# process of its own (`python miconi.py SEED` prints one JSON line).
import json
import subprocess
import sys

TRIALS = 200

if len(sys.argv) == 1:
    out = {"trials": TRIALS, "seeds": [1, 2, 3], "R_mean": [], "mean_reward": []}
    for seed in out["seeds"]:
        line = subprocess.run([sys.executable, __file__, str(seed)], check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        run = json.loads(line)
        out["R_mean"].append(run["R_mean"])
        out["mean_reward"].append(run["mean_reward"])
        print(seed, run)
    json.dump(out, open("miconi.json", "w"), indent=1)
    sys.exit(0)

import numpy as np
import ANNarchy as ann
seed = int(sys.argv[1])
np.random.seed(seed)
ann.setup(dt=1.0, seed=seed)

neuron = ann.Neuron(
    parameters = """
        tau = 30.0 : population # Time constant
        constant = 0.0 # The four first neurons have constant rates
        alpha = 0.05 : population # To compute the sliding mean
        f = 3.0 : population # Frequency of the perturbation
        A = 16. : population # Perturbation amplitude. dt*A/tau should be 0.5...
    """,
    equations="""
        # Perturbation
        perturbation = if Uniform(0.0, 1.0) < f/1000.: 1.0 else: 0.0 
        noise = if perturbation > 0.5: A * Uniform(-1.0, 1.0) else: 0.0

        # ODE for x
        x += dt*(sum(in) + sum(exc) - x + noise)/tau

        # Output r
        rprev = r # store r at previous time step
        r = if constant == 0.0: tanh(x) else: tanh(constant)

        # Sliding mean
        delta_x = x - x_mean
        x_mean = alpha * x_mean + (1 - alpha) * x
    """
)

synapse = ann.Synapse(
    parameters="""
        eta = 0.5 : projection # Learning rate
        learning_phase = 0.0 : projection # Flag to allow learning only at the end of a trial
        reward = 0.0 : projection # Reward received
        mean_reward = 0.0 : projection # Mean Reward received
        max_weight_change = 0.0003 : projection # Clip the weight changes
    """,
    equations="""
        # Trace
        trace += if learning_phase < 0.5:
                    power(pre.rprev * (post.delta_x), 3)
                 else:
                    0.0

        # Weight update only at the end of the trial
        delta_w = if learning_phase > 0.5:
                eta * trace * fabs(mean_reward) * (reward - mean_reward)
             else:
                 0.0 : min=-max_weight_change, max=max_weight_change
        w += delta_w
        
    """
)

# Input population
inp = ann.Population(2, ann.Neuron(parameters="r=0.0"))

# Recurrent population
N = 200
pop = ann.Population(N, neuron)

# Biases
pop[0].constant = 1.0
pop[1].constant = 1.0
pop[2].constant = -1.0

# Input weights
Wi = ann.Projection(inp, pop, 'in')
Wi.connect_all_to_all(weights=ann.Uniform(-1.0, 1.0))

# Recurrent weights
g = 1.5
sparseness = 0.1

Wrec = ann.Projection(pop, pop, 'exc', synapse)
if sparseness == 1.0:
    Wrec.connect_all_to_all(weights=ann.Normal(0., g/np.sqrt(N)))
else:
    Wrec.connect_fixed_probability(probability=sparseness, weights=ann.Normal(0., g/np.sqrt(sparseness*N)))

ann.compile()

OUTPUT_NEURON = 100

m = ann.Monitor(pop, ['r'], start=False)

# Durations
d_stim = 200
d_delay= 200
d_response = 200

def dnms_trial(trial_number, input, target, R_mean, record=False, perturbation=True):

    # Switch off perturbations if needed
    if not perturbation:
        old_A = pop.A
        pop.A = 0.0

    # Reinitialize network
    pop.x = ann.Uniform(-0.1, 0.1).get_values(N)
    pop.r = np.tanh(pop.x)
    pop[0].r = np.tanh(1.0)
    pop[1].r = np.tanh(1.0)
    pop[2].r = np.tanh(-1.0)

    if record: m.resume()

    # First input
    inp[input[0]].r = 1.0
    ann.simulate(d_stim)
    
    # Delay
    inp.r = 0.0
    ann.simulate(d_delay)
    
    # Second input
    inp[input[1]].r = 1.0
    ann.simulate(d_stim)
    
    # Delay
    inp.r = 0.0
    ann.simulate(d_delay)
    
    # Response
    if not record: m.resume()
    inp.r = 0.0
    ann.simulate(d_response)
    
    # Read the output
    m.pause()
    recordings = m.get('r')
    
    # Response is over the last 200 ms
    output = recordings[-int(d_response):, OUTPUT_NEURON] # neuron 100 over the last 200 ms
    
    # Compute the reward as the opposite of the absolute error
    reward = - np.mean(np.abs(target - output))
    
    # The first 25 trial do not learn, to let R_mean get realistic values
    if trial_number > 25:

        # Apply the learning rule
        Wrec.learning_phase = 1.0
        Wrec.reward = reward
        Wrec.mean_reward = R_mean

        # Learn for one step
        ann.step()
        
        # Reset the traces
        Wrec.learning_phase = 0.0
        Wrec.trace = 0.0
        #_ = m.get() # to flush the recording of the last step

    # Switch back on perturbations if needed
    if not perturbation:
        pop.A = old_A

    return recordings, reward

R_mean = - np.ones((2, 2))
alpha = 0.75
for trial in range(TRIALS):
    _, rewardAA = dnms_trial(trial, [0, 0], -0.98, R_mean[0, 0])
    _, rewardAB = dnms_trial(trial, [0, 1], +0.98, R_mean[0, 1])
    _, rewardBA = dnms_trial(trial, [1, 0], +0.98, R_mean[1, 0])
    _, rewardBB = dnms_trial(trial, [1, 1], -0.98, R_mean[1, 1])
    reward = np.array([[rewardAA, rewardBA], [rewardBA, rewardBB]])
    R_mean = alpha * R_mean + (1.- alpha) * reward
print(json.dumps({"R_mean": R_mean.tolist(), "mean_reward": float(R_mean.mean())}))
