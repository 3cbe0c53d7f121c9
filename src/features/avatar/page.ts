// The avatar's page under BASE_PATH: its settings block links to it (index.ts), its routes serve it (routes.ts).
export const AVATAR_PAGE = 'client/settings/avatar'
