"""ExampleGen: KuaiRand-format CSV logs -> session SequenceExamples (see pipeline.py)."""
