using System.Security.Cryptography;
using System.Text;

namespace EipCni.Cloud;

/// <summary>The pieces of one ACS3-HMAC-SHA256 signature; <see cref="Signature"/> and <see cref="Authorization"/> are secrets-adjacent and never logged.</summary>
public readonly record struct AcsSignature(string CanonicalRequest, string SignedHeaders, string StringToSign, string Signature, string Authorization);
