require "vacation";
vacation :mime text:
Content-Type: text/html; charset=us-ascii

<p>I am away.</p>
.
;
