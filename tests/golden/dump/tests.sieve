# RFC 5228 §5: allof, anyof, not, size, address parts, comparators
if allof (address :domain :is "from" "example.com",
          not header :matches :comparator "i;octet" "subject" "*[SPAM]*") {
  keep;
}
if anyof (size :over 1M, size :under 10, true, false) {
  discard;
}
