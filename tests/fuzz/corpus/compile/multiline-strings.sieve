/* multiline-strings.sieve -- text: strings and bracket comments

   This header is itself a bracket comment (RFC 5228 sec. 2.3); bracket
   comments may span lines and may appear between the parts of a
   command. Hash comments run to the end of the line.

   Multi-line strings (RFC 5228 sec. 2.4.2):
     * "text:" is followed by the end of the line (or a hash comment);
       the string ends at a line holding only a dot;
     * a line of the string that starts with a dot is written with the
       dot doubled ("dot-stuffing"); the extra dot is removed on reading;
     * every line, including the last one, keeps its line break (CRLF).

   Use: catch a phishing template by two consecutive lines of its text
   (RFC 5173 body :text), and show that the trailing line break is part
   of the value (RFC 5229 set and string test).

   Requires: body, fileinto, variables, encoded-character.
*/

require ["body", "fileinto", "variables", "encoded-character"];

# Matches only when these lines appear exactly like this, line breaks
# included. Mail on the wire uses CRLF line ends, as does the string.
if body :text :contains text: # the phishing template, verbatim
Dear customer,

We detected unusual activity on your account. To avoid suspension you
.
{
    fileinto "Phishing";
    stop;
}

if header :matches "subject" /* comment inside a command */
          ["*inheritance*", "*wire transfer*", "*lottery*"] {
    fileinto "Scam";
    stop;
}

# A value with a dot-stuffed line: the variable holds ".signature\r\n".
set "dotline" text:
..signature
.
;

# The final line break belongs to the value: "Alice" followed by CRLF.
set "who" text:
Alice
.
;

if anyof (string :is "${who}" "Alice",
          not string :is "${dotline}" ".signature${hex:0D 0A}") {
    # never reached: "${who}" is "Alice" plus CRLF, and the doubled dot
    # has been reduced to a single one
    fileinto "Never";
}
