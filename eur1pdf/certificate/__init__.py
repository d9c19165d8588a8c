"""The certificate: the input contract as a validated model, its canonical form and digest."""
