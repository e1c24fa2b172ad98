"""Pure calculation: a prescription and its history become a plan, with its trail."""
