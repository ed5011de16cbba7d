/* RFC 5228 §2.4.2: multi-line strings with dot-stuffing */
if header :is "subject" text:
..leading dot
second line
.
{
  discard;
}
