"""Help for people who were refused: the troubleshooter, references explained, the guide, resending mail."""
