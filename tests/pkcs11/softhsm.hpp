// SPDX-License-Identifier: MIT
/// @file
/// A SoftHSM2 token for the tests, the test tool and the benchmark: a token directory and
/// configuration in a scratch directory (SOFTHSM2_CONF), the token initialised through the module
/// itself (C_InitToken, C_InitPIN), key pairs generated inside it (non-extractable, sensitive), a
/// file key imported (non-extractable) for comparisons, and keys of the wrong type.
#pragma once

#include <cryptopp/integer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <escrow/escrow.hpp>
#include <escrow/wrap/pkcs11.hpp>

namespace escrow_softhsm {

namespace p11 = escrow::detail::pkcs11;

/// The SoftHSM2 module: $ESCROW_SOFTHSM_MODULE, else Debian's path.
inline std::string module_path() {
    if (const char* m = std::getenv("ESCROW_SOFTHSM_MODULE"); m && *m) return m;
    return "/usr/lib/softhsm/libsofthsm2.so";
}

/// Writes `dir`/softhsm2.conf with its token directory `dir`/tokens, and points SOFTHSM2_CONF at
/// it; call it before the module is first loaded in the process.
inline void use_token_dir(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir / "tokens");
    const auto conf = dir / "softhsm2.conf";
    std::ofstream(conf) << "directories.tokendir = " << (dir / "tokens").string()
                        << "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    ::setenv("SOFTHSM2_CONF", conf.string().c_str(), 1);
}

/// A logged-in read-write user session on the token labelled `label`.
class admin {
public:
    /// Initialises a new token `label` in the first free slot with the SO PIN `so_pin` and user PIN
    /// `user_pin`, then logs in as its user.
    static admin init_token(const std::string& label, const std::string& so_pin, const std::string& user_pin) {
        auto m = p11::module::load(module_path());
        const auto& f = m->f();
        CK_SLOT_ID free_slot = find_slot(*m, [](const CK_TOKEN_INFO& i) { return !(i.flags & CKF_TOKEN_INITIALIZED); });
        unsigned char padded[32];
        std::fill(std::begin(padded), std::end(padded), ' ');
        std::copy(label.begin(), label.end(), padded);
        p11::check(f.C_InitToken(free_slot, uc(so_pin), so_pin.size(), padded), "C_InitToken");
        const CK_SLOT_ID slot = slot_of(*m, label);
        CK_SESSION_HANDLE h = 0;
        p11::check(f.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h), "C_OpenSession");
        p11::check(f.C_Login(h, CKU_SO, uc(so_pin), so_pin.size()), "C_Login (SO)");
        p11::check(f.C_InitPIN(h, uc(user_pin), user_pin.size()), "C_InitPIN");
        f.C_Logout(h);
        f.C_CloseSession(h);
        return login(label, user_pin);
    }

    /// Logs in to the existing token `label`.
    static admin login(const std::string& label, const std::string& user_pin) {
        auto m = p11::module::load(module_path());
        CK_SESSION_HANDLE h = 0;
        p11::check(m->f().C_OpenSession(slot_of(*m, label), CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h),
                   "C_OpenSession");
        CK_RV rv = m->f().C_Login(h, CKU_USER, uc(user_pin), user_pin.size());
        if (rv != CKR_USER_ALREADY_LOGGED_IN) p11::check(rv, "C_Login");
        return admin(m, h);
    }

    admin(admin&& o) noexcept : m_(std::move(o.m_)), h_(o.h_) { o.h_ = 0; }
    admin(const admin&) = delete;
    ~admin() {
        if (m_ && h_) m_->f().C_CloseSession(h_);
    }

    /// An RSA key pair of `bits` bits generated inside the token (CKA_SENSITIVE true,
    /// CKA_EXTRACTABLE false), both halves labelled `label`.
    void generate_rsa(const std::string& label, CK_ULONG bits) {
        CK_MECHANISM mech{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
        CK_BYTE e[] = {0x01, 0x00, 0x01};
        CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
        CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, 1}, {CKA_ENCRYPT, &yes, 1}, {CKA_MODULUS_BITS, &bits, sizeof bits},
                              {CKA_PUBLIC_EXPONENT, e, 3}, {CKA_LABEL, lbl(label), label.size()}};
        CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, 1},     {CKA_PRIVATE, &yes, 1},      {CKA_SENSITIVE, &yes, 1},
                               {CKA_EXTRACTABLE, &no, 1}, {CKA_DECRYPT, &yes, 1},     {CKA_SIGN, &no, 1},
                               {CKA_LABEL, lbl(label), label.size()}};
        CK_OBJECT_HANDLE hp = 0, hk = 0;
        p11::check(m_->f().C_GenerateKeyPair(h_, &mech, pub, std::size(pub), priv, std::size(priv), &hp, &hk),
                   "C_GenerateKeyPair");
    }

    /// Imports `key` (from a file) as a private key `label` that cannot be extracted again:
    /// the same key in a token and in a file, for comparisons.
    void import_rsa(const std::string& label, const escrow::rsa_private_key& key) {
        const auto& k = key.cryptopp();
        std::vector<escrow::bytes> v;
        auto enc = [&](const CryptoPP::Integer& i) {
            v.emplace_back(i.MinEncodedSize());
            i.Encode(v.back().data(), v.back().size());
            return CK_ATTRIBUTE{0, v.back().data(), v.back().size()};
        };
        v.reserve(8);
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_KEY_TYPE type = CKK_RSA;
        CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
        std::vector<CK_ATTRIBUTE> t = {{CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &type, sizeof type},
                                       {CKA_TOKEN, &yes, 1},          {CKA_PRIVATE, &yes, 1},
                                       {CKA_SENSITIVE, &yes, 1},      {CKA_EXTRACTABLE, &no, 1},
                                       {CKA_DECRYPT, &yes, 1},        {CKA_LABEL, lbl(label), label.size()}};
        const std::pair<CK_ATTRIBUTE_TYPE, const CryptoPP::Integer*> parts[] = {
            {CKA_MODULUS, &k.GetModulus()},         {CKA_PUBLIC_EXPONENT, &k.GetPublicExponent()},
            {CKA_PRIVATE_EXPONENT, &k.GetPrivateExponent()}, {CKA_PRIME_1, &k.GetPrime1()},
            {CKA_PRIME_2, &k.GetPrime2()},          {CKA_EXPONENT_1, &k.GetModPrime1PrivateExponent()},
            {CKA_EXPONENT_2, &k.GetModPrime2PrivateExponent()},
            {CKA_COEFFICIENT, &k.GetMultiplicativeInverseOfPrime2ModPrime1()}};
        for (const auto& [a, i] : parts) {
            CK_ATTRIBUTE at = enc(*i);
            at.type = a;
            t.push_back(at);
        }
        CK_OBJECT_HANDLE h = 0;
        p11::check(m_->f().C_CreateObject(h_, t.data(), t.size(), &h), "C_CreateObject");
        for (auto& b : v) std::fill(b.begin(), b.end(), 0);
    }

    /// An EC (P-256) key pair labelled `label`: a key of the wrong type for an RSA wrap.
    void generate_ec(const std::string& label) {
        CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
        CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
        CK_BBOOL yes = CK_TRUE;
        CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, 1}, {CKA_EC_PARAMS, p256, sizeof p256}, {CKA_LABEL, lbl(label), label.size()}};
        CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &yes, 1}, {CKA_SENSITIVE, &yes, 1},
                               {CKA_LABEL, lbl(label), label.size()}};
        CK_OBJECT_HANDLE hp = 0, hk = 0;
        p11::check(m_->f().C_GenerateKeyPair(h_, &mech, pub, std::size(pub), priv, std::size(priv), &hp, &hk),
                   "C_GenerateKeyPair (EC)");
    }

    /// What the token answers to `C_GetAttributeValue` of `type` on the private key `label`
    /// (CKR_ATTRIBUTE_SENSITIVE for a secret part of a sensitive key).
    CK_RV read_private_attribute(const std::string& label, CK_ATTRIBUTE_TYPE type) {
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, lbl(label), label.size()}};
        const auto& f = m_->f();
        p11::check(f.C_FindObjectsInit(h_, t, 2), "C_FindObjectsInit");
        CK_OBJECT_HANDLE h = 0;
        CK_ULONG n = 0;
        f.C_FindObjects(h_, &h, 1, &n);
        f.C_FindObjectsFinal(h_);
        if (n != 1) throw escrow::error(escrow::errc::not_found, "no private key " + label);
        std::vector<CK_BYTE> buf(4096);
        CK_ATTRIBUTE a{type, buf.data(), buf.size()};
        return f.C_GetAttributeValue(h_, h, &a, 1);
    }

private:
    admin(std::shared_ptr<p11::module> m, CK_SESSION_HANDLE h) : m_(std::move(m)), h_(h) {}

    static CK_UTF8CHAR_PTR uc(const std::string& s) { return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(s.data())); }
    static char* lbl(const std::string& s) { return const_cast<char*>(s.data()); }

    template <class Pred>
    static CK_SLOT_ID find_slot(p11::module& m, Pred pred) {
        CK_ULONG n = 0;
        p11::check(m.f().C_GetSlotList(CK_TRUE, nullptr, &n), "C_GetSlotList");
        std::vector<CK_SLOT_ID> slots(n);
        p11::check(m.f().C_GetSlotList(CK_TRUE, slots.data(), &n), "C_GetSlotList");
        for (CK_ULONG i = 0; i < n; ++i) {
            CK_TOKEN_INFO info{};
            if (m.f().C_GetTokenInfo(slots[i], &info) == CKR_OK && pred(info)) return slots[i];
        }
        throw escrow::error(escrow::errc::not_found, "SoftHSM: no such slot");
    }
    static CK_SLOT_ID slot_of(p11::module& m, const std::string& label) {
        return find_slot(m, [&](const CK_TOKEN_INFO& i) {
            return (i.flags & CKF_TOKEN_INITIALIZED) && p11::padded_field(i.label) == label;
        });
    }

    std::shared_ptr<p11::module> m_;
    CK_SESSION_HANDLE h_;
};

/// The URI of the key `object` on the token `token` of this module, the PIN in `pin_file`.
inline std::string uri_of(const std::string& token, const std::string& object, const std::string& pin_file) {
    return "pkcs11:token=" + token + ";object=" + object + "?module-path=" + module_path() + "&pin-source=file:" + pin_file;
}

}  // namespace escrow_softhsm
