"""`python -m mnist_cnn.predict MODEL IMAGE...`: the same command as mnist-predict."""

from mnist_cnn.predict.cli import cli

cli()
