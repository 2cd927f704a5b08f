// Meta identifier normalisation and hashing, against vectors computed with sha256sum.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/meta_identifiers.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;

namespace {

std::string id(meta_key k, std::string_view raw) {
  return meta_identifier(k, txt(raw));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(meta_identifiers)

// Each hash below is `printf '%s' '<normalised>' | sha256sum`.
BOOST_AUTO_TEST_CASE(normalised_values_hash_to_known_vectors) {
  BOOST_TEST(id(meta_key::email, " Alice@Example.COM ") ==
             "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976");
  BOOST_TEST(id(meta_key::phone, "+1 (650) 555-1234") ==
             "6069d14bf122fdfd931dc7beb58e5dfbba395b1faf05bdcd42d12358d63d8599");
  BOOST_TEST(id(meta_key::phone, "0044 20 7946 0958") ==  // leading zeros dropped
             "35e206e5dec4c89b9e8b71b8c32724a5bb518483ac5a20c6617d738375b3b823");
  BOOST_TEST(id(meta_key::fn, "Mary-Ann") ==
             "16b3f07f0ec2f9dd127b71dc2e6c791b7d93116a1c3bc99d057eaa7a8a077e73");
  BOOST_TEST(id(meta_key::ln, "O'Neil") ==
             "67a42a846e98e3c1a96cd6ba14883a5ea05990cd93964ce8b832aa9497ca785c");
  BOOST_TEST(id(meta_key::ct, "San Francisco") ==
             "1a6bd4d9d79dc0a79b53795c70d3349fa9e38968a3fbefbfe8783efb1d2b6aac");
  BOOST_TEST(id(meta_key::st, "CA") ==
             "6959097001d10501ac7d54c0bdb8db61420f658f2922cc26e46d536119a31126");
  BOOST_TEST(id(meta_key::zip, "94107-1234") ==  // US ZIP+4 cut to 5 digits
             "c884a209ebe08750a7d13db63bd02233b375bd79786cbe329ab11586cc35dead");
  BOOST_TEST(id(meta_key::zip, "SW1A 1AA") ==
             "830e1d4b9838bab1f5c2acdb23e0b502ff13a9832c4632e8d67a1d43d3b7f614");
  BOOST_TEST(id(meta_key::country, "US") ==
             "79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621");
  BOOST_TEST(id(meta_key::gen, "Female") ==
             "252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111");
  BOOST_TEST(id(meta_key::doby, "1985") ==
             "78e370b587b145920213731b7c7c725e512b3b6577c51c800218a7c764c532ae");
  BOOST_TEST(meta_identifier(meta_key::dobm, num(3)) ==
             "0b8efa5a3bf104413a725c6ff0459a6be12b1fd33314cbb138745baf39504ae5");
  BOOST_TEST(id(meta_key::dobd, "7") ==
             "19b100ab7725c612f3d80ff203ca53cea5cadaafae3bf0f88f0fb4089fe08815");
}

// Meta's rule is Unicode lowercase. Each expected text was typed by hand (composed, NFC) and
// hashed with `printf '%s' '<text>' | sha256sum`; the digests are pasted here as literals.
BOOST_AUTO_TEST_CASE(non_ascii_capitals_are_lowercased_before_hashing) {
  const std::string emile = "a56b363ca23dd9db9bd117840f28aab076b474f8cbea85416f715281dc809d56";
  BOOST_TEST(id(meta_key::fn, "ÉMILE") == emile);                 // émile
  BOOST_TEST(id(meta_key::fn, "Émile") == emile);
  BOOST_TEST(id(meta_key::fn, "E\u0301MILE") == emile);          // decomposed É, NFC first
  BOOST_TEST(id(meta_key::fn, "e\u0301mile") == emile);
  BOOST_TEST(id(meta_key::ln, "MÜLLER") ==                        // müller
             "2dbd218072117713f2d5996a726a9b216ed791ffd0783b6ba4ab6d61b8333192");
  BOOST_TEST(id(meta_key::ln, "GROẞ") ==                          // groß (U+1E9E → ß)
             "7b39b80f141a2adaed303b3f5cec8b6ad6bb47072627f805f869e8d2775467fd");
  BOOST_TEST(id(meta_key::ln, "Groß") ==
             "7b39b80f141a2adaed303b3f5cec8b6ad6bb47072627f805f869e8d2775467fd");
  BOOST_TEST(id(meta_key::fn, "ΕΛΕΝΗ") ==                         // ελενη
             "380875b515f925b9eef09aab2fa5a810d9e6bfa390be58811a430774414c1aff");
  BOOST_TEST(id(meta_key::ln, "ПЕТРОВА") ==                       // петрова
             "640fe651ccadf5077ff59b7f696a0946b6860c1808f65c871eed171ebc527c3b");
  BOOST_TEST(id(meta_key::fn, "太郎") ==                          // no case: unchanged
             "3e63216aec8dbdf61f8a4e80bab42f3a30ab9c58ebf824b5af7241c6e30988ed");
  BOOST_TEST(id(meta_key::ct, "SÃO PAULO") ==                     // sãopaulo
             "3eda1428ae1aece064071f8d40f08fe2bc59ffa66c171a163caf15122ec4d7f0");
  BOOST_TEST(id(meta_key::ct, "ZU\u0308RICH") ==                 // zürich
             "201f10d5d64518d86d2d3a47d28675d1c788762c5345df643dadec71d4e0a91e");
  BOOST_TEST(id(meta_key::email, " ÉMILE@EXEMPLE.FR ") ==         // émile@exemple.fr
             "f3025033d29698fad9d22c25c701908edf40459e4cbe85649edb4e0fd8c3a3d0");
  BOOST_TEST(id(meta_key::fi, "Élodie") ==                        // é
             "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  BOOST_TEST(id(meta_key::fi, "E\u0301LODIE") ==
             "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  BOOST_TEST(id(meta_key::fi, "Ωmega") ==                         // ω
             "faed5da5f84f2ee9ea8e56403800503b3910a735270a7b2e8b39a182d5ffa615");
}

// Unicode punctuation and spaces count as punctuation and spaces: a typographic apostrophe,
// a middle dot, guillemets and a no-break space are removed like their ASCII cousins.
BOOST_AUTO_TEST_CASE(unicode_punctuation_and_spaces_are_removed) {
  const std::string obrien = "b4cb6cb33fe4b865868de825023a1e2790dc12ac01ecc8d7c5afe8254071c8ba";
  BOOST_TEST(id(meta_key::ln, "O'Brien") == obrien);                     // obrien
  BOOST_TEST(id(meta_key::ln, "O\u2019BRIEN") == obrien);
  BOOST_TEST(id(meta_key::fn, "Jean\u00b7Luc") ==                       // jeanluc
             "7fef38066db9900f992fa9926eea8cc648f44c2af50c4d511c415422196c8ef5");
  BOOST_TEST(id(meta_key::fn, "Mary\u00a0Ann") ==                       // maryann
             "16b3f07f0ec2f9dd127b71dc2e6c791b7d93116a1c3bc99d057eaa7a8a077e73");
  BOOST_TEST(id(meta_key::fn, "\u00abANNE\u00bb") ==                   // anne
             "90b8de4051f02b7a29484341f3a903e1b2c6a233f5465e19c634535c7b315e6f");
  BOOST_TEST(normalize_meta_value(meta_key::ct, "Saint\u2011Étienne") == "saintétienne");
  BOOST_TEST(normalize_meta_value(meta_key::madid, "AB12-CD34-ÄÖ") == "ab12-cd34-äö");
}

BOOST_AUTO_TEST_CASE(normalisation_rules) {
  BOOST_TEST(normalize_meta_value(meta_key::email, "  Bob@X.ORG\t") == "bob@x.org");
  BOOST_TEST(normalize_meta_value(meta_key::phone, "000") == "");
  BOOST_TEST(normalize_meta_value(meta_key::fi, "  élodie") == "é");  // UTF-8 letters kept
  BOOST_TEST(normalize_meta_value(meta_key::gen, "M") == "m");
  BOOST_TEST(normalize_meta_value(meta_key::gen, "unknown") == "");
  BOOST_TEST(normalize_meta_value(meta_key::madid, "AB12-CD34") == "ab12-cd34");
  BOOST_TEST(normalize_meta_value(meta_key::extern_id, "  Cust-42 ") == "Cust-42");
}

BOOST_AUTO_TEST_CASE(empty_hashed_and_unhashed_values) {
  BOOST_TEST(meta_identifier(meta_key::email, null()).empty());
  BOOST_TEST(id(meta_key::email, "   ").empty());  // never the hash of ""
  auto hashed = std::string("FF8D9819FC0E12BF0D24892E45987E249A28DCE836A85CAD60E28EAAA8C6D976");
  BOOST_TEST(id(meta_key::email, hashed) ==
             "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976");  // passes through
  BOOST_TEST(id(meta_key::extern_id, "cust-42") == "cust-42");  // not hashed
  BOOST_TEST(id(meta_key::madid, "AB12-cd34") == "ab12-cd34");
}

BOOST_AUTO_TEST_CASE(keys_parse_by_name) {
  BOOST_TEST((parse_meta_key("EMAIL") == meta_key::email));
  BOOST_TEST((parse_meta_key("EMAIL_SHA256") == meta_key::email));
  BOOST_TEST((parse_meta_key("DOBM") == meta_key::dobm));
  BOOST_TEST(!parse_meta_key("email"));
  BOOST_TEST(!parse_meta_key("NAME"));
  BOOST_TEST(meta_key_hashed(meta_key::zip));
  BOOST_TEST(!meta_key_hashed(meta_key::extern_id));
}

BOOST_AUTO_TEST_SUITE_END()
