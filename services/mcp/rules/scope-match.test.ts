import test from "ava";
import { consentFor, documentResource, evidenceResource, viewResource } from "./scope-match.js";

test("only clean relative paths become document resources", (t) => {
  t.is(documentResource("public/a.txt"), "fs:public/a.txt");
  for (const bad of ["public/../restricted/a.txt", "./public/a.txt", "/etc/passwd", "public//a.txt", "public\\a.txt", ""]) {
    t.is(documentResource(bad), undefined, bad);
  }
});

test("rows and aggregates of a safe view map to the view", (t) => {
  t.is(evidenceResource("pg_safeview", "safe_customer_view_public:local:cust_1"), "view:safe_customer_view_public");
  t.is(evidenceResource("pg_safeview", "safe_customer_view_public"), "view:safe_customer_view_public");
  t.is(viewResource("bad view"), undefined);
  t.is(evidenceResource("elsewhere", "x"), undefined);
});

test("consent: approval scopes win over allowed ones; anything else is denied", (t) => {
  const consent = { allowed: ["fs:"], approval: ["fs:restricted/"] };
  t.is(consentFor("fs:public/a", consent), "allowed");
  t.is(consentFor("fs:restricted/a", consent), "approval");
  t.is(consentFor("view:v", consent), "denied");
});
