// The shape of a message that depends on a number: one text per plural
// category of the language (Intl.PluralRules), chosen by the {count} value.
// English has one/other, Russian one/few/many/other ("1 пользователь",
// "2 пользователя", "5 пользователей"); the catalogs are typed with these
// so that a plural message missing a form its language needs does not compile.
export type EnPlural = { readonly one: string, readonly other: string }
export type RuPlural = { readonly one: string, readonly few: string, readonly many: string, readonly other: string }
export type EnMessage = string | EnPlural
