"""The DVC stages: one command line each, parsing arguments and calling mnist_cnn.pipeline.

Importing them changes nothing: each `main()` first routes stderr through the filter of
mnist_cnn/quiet.py, then imports the pipeline step, whose TensorFlow prints its start-up lines as
it loads.
"""
