"""Predicting the digit in your own pictures with a trained model (mnist-predict)."""
