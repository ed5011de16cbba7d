# RFC 5228 §2.4.1: quantifiers are K, M and G; a number past 2^64 - 1 is too large
if size :over 16E { discard; }
if size :over 20KB { discard; }
if size :over 18446744073709551616 { discard; }
if size :over 17179869184G { discard; }
