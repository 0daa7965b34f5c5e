"""tscac: Two-Stage Constrained Actor-Critic for short-video recommendation on TensorFlow.

Version ranges live here; the exact verified set is in constraints.txt, which every
install uses (see BUILD_NOTES.md).
"""

from setuptools import find_packages, setup

INSTALL_REQUIRES = [
    "tensorflow>=2.21,<2.22",  # not tensorflow-cpu: tensorflow-serving-api requires this distribution
    "tf-keras>=2.21,<2.22",
    "tf-agents==0.19.0",
    "tensorflow-probability>=0.23,<0.24",
    "tensorflow-recommenders==0.7.7",
    "tensorflow-serving-api>=2.21,<2.22",
    "apache-beam[tfrecord]>=2.77,<2.78",
    "tensorboard>=2.21,<2.22",  # TF 2.21 no longer installs it; tf-agents imports it
    "protobuf>=6.31.1,<7",
    "grpcio>=1.74,<2",
    "numpy>=2.0,<3",
    "pandas>=2.2,<4",
    "matplotlib>=3.8,<4",
    "tqdm>=4.66,<5",
]

setup(
    name="tscac",
    version="0.1.0",
    description="Two-Stage Constrained Actor-Critic (TSCAC, WWW 2023) for short-video feeds on TensorFlow",
    python_requires=">=3.11,<3.12",
    packages=find_packages(
        include=[
            "tscac_tf",
            "tscac_tf.*",
            "beam_pipelines",
            "beam_pipelines.*",
            "serving",
            "serving.*",
        ]
    ),
    package_data={"tscac_tf": ["datasets/kuairand_pure/*"], "serving": ["configs/*"]},
    install_requires=INSTALL_REQUIRES,
    extras_require={"test": ["pytest>=8,<10", "pytest-xdist>=3.8,<4", "ruff>=0.6,<1"]},
    entry_points={"console_scripts": ["tscac=tscac_tf.cli:program"]},
)
