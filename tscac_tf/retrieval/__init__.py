"""Candidate retrieval: a TFRS two-tower model and its BruteForce index over all videos.

The candidate set C_t of every state (ARCHITECTURE §2) comes from here, at training time
(the candidates step, beam_pipelines/candidates) and at serving time (the `recommend`
signature embeds RetrievalIndex). Entry points: trainer.train, evaluation.evaluate_model_dir,
retrieval_index.load; `tscac retrieval train|evaluate|candidates` on the command line.
"""

# What the model computes, for the main job's cache (a workdir trained by an older model
# retrains): 2 = the user's tag profile in the score (session 13); 3 = the popularity
# prior in b(v) and one epoch (session 14); 4 = the fitted tag profile (session 15).
# Kept here, free of TensorFlow, because the pipeline's orchestrator does not import it.
MODEL_VERSION = 4
