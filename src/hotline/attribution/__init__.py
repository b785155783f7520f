"""Attribution: sites → brands → distributors, from shared selectors, with evidence."""
